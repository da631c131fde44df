-- Narratives: near-duplicate copies of one message grouped as they arrive (crates/narratives).
-- Figures are as of the newest item seen when they were written; times are UTC seconds.
ALTER TABLE items ADD COLUMN narrative_id INTEGER;
-- Which variant of the narrative the item copied (the index's representative number), for
-- coordination detection.
ALTER TABLE items ADD COLUMN narrative_copy INTEGER;
CREATE INDEX items_narrative ON items (narrative_id, published_at);

CREATE TABLE narratives (
    id                     INTEGER PRIMARY KEY,
    merged_into            INTEGER REFERENCES narratives (id),
    first_seen             INTEGER NOT NULL,
    last_seen              INTEGER NOT NULL,
    items                  INTEGER NOT NULL,
    accounts               INTEGER NOT NULL,
    platforms              TEXT    NOT NULL,   -- space-separated
    views                  INTEGER NOT NULL,
    shares                 INTEGER NOT NULL,
    velocity_1h            REAL    NOT NULL,   -- items per hour
    velocity_6h            REAL    NOT NULL,
    velocity_24h           REAL    NOT NULL,
    accelerating           INTEGER NOT NULL,   -- 0 or 1
    representative_item_id INTEGER REFERENCES items (id),
    updated_at             INTEGER NOT NULL
);
CREATE INDEX narratives_velocity ON narratives (velocity_6h);
CREATE INDEX narratives_items ON narratives (items);

-- Merge history: every id ever handed out stays resolvable.
CREATE TABLE narrative_merges (
    absorbed  INTEGER PRIMARY KEY REFERENCES narratives (id),
    into_id   INTEGER NOT NULL REFERENCES narratives (id),
    item_id   INTEGER REFERENCES items (id),   -- the bridging item
    merged_at INTEGER NOT NULL
);
