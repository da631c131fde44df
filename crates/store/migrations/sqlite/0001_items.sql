-- Times are UTC seconds since the Unix epoch; identities are 16-byte keys (see tangkal_model::Identity).
-- Item foreign keys are deferred to commit: checked all the same, without a statement journal per insert.
CREATE TABLE sources (
    id            INTEGER PRIMARY KEY,
    kind          TEXT    NOT NULL,   -- file, feed, api
    location      TEXT    NOT NULL,   -- path or URL
    first_seen_at INTEGER NOT NULL,
    last_seen_at  INTEGER NOT NULL,
    UNIQUE (kind, location)
);

CREATE TABLE accounts (
    id            INTEGER PRIMARY KEY,
    platform      TEXT    NOT NULL,
    external_id   TEXT    NOT NULL,
    handle        TEXT,
    first_seen_at INTEGER NOT NULL,
    UNIQUE (platform, external_id)
);

CREATE TABLE items (
    id            INTEGER PRIMARY KEY,
    identity      BLOB    NOT NULL UNIQUE,
    platform      TEXT    NOT NULL,
    external_id   TEXT,
    url           TEXT,
    account_id    INTEGER REFERENCES accounts (id) DEFERRABLE INITIALLY DEFERRED,
    text          TEXT    NOT NULL,
    published_at  INTEGER NOT NULL,
    first_seen_at INTEGER NOT NULL,
    views         INTEGER NOT NULL DEFAULT 0,
    shares        INTEGER NOT NULL DEFAULT 0,
    likes         INTEGER NOT NULL DEFAULT 0,
    replies       INTEGER NOT NULL DEFAULT 0,
    fingerprint   INTEGER NOT NULL,
    source_id     INTEGER REFERENCES sources (id) DEFERRABLE INITIALLY DEFERRED,
    raw           TEXT    NOT NULL
);

CREATE INDEX items_published_at ON items (published_at);
