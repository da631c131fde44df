-- What administrators change from the desk rather than the configuration file: the claim matcher's
-- thresholds and each platform's takedown addressee. One row per setting, the value as JSON; every
-- change is on the audit trail.
CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by TEXT NOT NULL
);
