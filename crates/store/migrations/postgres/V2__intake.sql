-- The distributed intake (crates/intake, docs/deploy.md): items arrive as messages of a JetStream stream.

-- The stream sequence of the message that first stored the item (the lowest, when several messages carried
-- it): the placer places items in this order, which is the order the publishers read them in. NULL for items
-- stored any other way. Not unique: one message stores at most one item anyway, and a unique key would turn
-- a stream recreated from sequence 1 into a wall of failed writes rather than a placement order to redo.
ALTER TABLE items ADD COLUMN intake_seq BIGINT;
CREATE INDEX items_intake_seq ON items (intake_seq) WHERE intake_seq IS NOT NULL;
-- What the placer has not placed: small, as placed items leave it.
CREATE INDEX items_intake_unplaced ON items (intake_seq) WHERE intake_seq IS NOT NULL AND narrative_id IS NULL;

-- The placer's narrative index (`Tracker` snapshot) with the last intake sequence it covers, per stream: a
-- successor loads it and replays the items stored after.
CREATE TABLE placer_snapshots (
    stream     TEXT   PRIMARY KEY,
    covered    BIGINT NOT NULL,
    written_at BIGINT NOT NULL,
    snapshot   BYTEA  NOT NULL
);
