-- Writes look items up by identity, and the unique index of 16-byte identities was the largest cost of an
-- import: every insert compared blobs down a B-tree in which new identities land at random. The index is
-- now of a 64-bit integer key, the identity's first eight bytes (`identity_key(identity)`, a function the
-- store defines; see tangkal_model::Identity::key). Keys may collide, so lookups compare whole identities,
-- and no identity is stored twice because writes decide which records are new inside their own write
-- transaction (crates/store/src/items.rs). SQLite cannot drop a UNIQUE constraint: the table is rebuilt,
-- with foreign keys off (checked before the commit).
CREATE TABLE items_rebuilt (
    id             INTEGER PRIMARY KEY,
    identity       BLOB    NOT NULL,
    identity_key   INTEGER NOT NULL,
    platform       TEXT    NOT NULL,
    external_id    TEXT,
    url            TEXT,
    account_id     INTEGER REFERENCES accounts (id) DEFERRABLE INITIALLY DEFERRED,
    text_copy      TEXT    NOT NULL,
    published_at   INTEGER NOT NULL,
    first_seen_at  INTEGER NOT NULL,
    views          INTEGER NOT NULL DEFAULT 0,
    shares         INTEGER NOT NULL DEFAULT 0,
    likes          INTEGER NOT NULL DEFAULT 0,
    replies        INTEGER NOT NULL DEFAULT 0,
    fingerprint    INTEGER NOT NULL,
    source_id      INTEGER REFERENCES sources (id) DEFERRABLE INITIALLY DEFERRED,
    raw            TEXT    NOT NULL,
    narrative_id   INTEGER,
    narrative_copy INTEGER
);
INSERT INTO items_rebuilt (id, identity, identity_key, platform, external_id, url, account_id, text_copy,
                           published_at, first_seen_at, views, shares, likes, replies, fingerprint, source_id,
                           raw, narrative_id, narrative_copy)
SELECT id, identity, identity_key(identity), platform, external_id, url, account_id, text_copy, published_at,
       first_seen_at, views, shares, likes, replies, fingerprint, source_id, raw, narrative_id, narrative_copy
FROM items;
DROP TABLE items;
ALTER TABLE items_rebuilt RENAME TO items;
CREATE INDEX items_identity ON items (identity_key);
CREATE INDEX items_published_at ON items (published_at);
CREATE INDEX items_narrative ON items (narrative_id, published_at) WHERE narrative_id IS NOT NULL;
