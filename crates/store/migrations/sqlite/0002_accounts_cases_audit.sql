-- Accounts, cases with their verdicts and evidence, and the hash-chained audit trail.
-- Times are UTC seconds since the Unix epoch, except audit_events.at_ms (milliseconds).
CREATE TABLE organisations (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    org_id        INTEGER NOT NULL REFERENCES organisations (id),
    username      TEXT    NOT NULL UNIQUE,
    display_name  TEXT    NOT NULL,
    role          TEXT    NOT NULL,
    platform      TEXT,
    password_hash TEXT    NOT NULL,   -- argon2id PHC string
    time_zone     TEXT    NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL
);

-- Only hashes of session and token secrets are stored: a copy of the database logs nobody in.
CREATE TABLE sessions (
    token_hash BLOB    PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    csrf_token TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    name       TEXT    NOT NULL,
    role       TEXT    NOT NULL,
    token_hash BLOB    NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);

CREATE TABLE cases (
    id                INTEGER PRIMARY KEY,
    title             TEXT    NOT NULL,
    summary           TEXT    NOT NULL,
    origin            TEXT    NOT NULL,
    origin_ref        TEXT,
    status            TEXT    NOT NULL,
    urgency           TEXT    NOT NULL,
    priority          INTEGER NOT NULL,
    computed_priority INTEGER NOT NULL,
    priority_reason   TEXT,
    risk              REAL,
    reach             INTEGER,
    velocity          REAL,
    assignee_id       INTEGER REFERENCES users (id),
    opened_by         TEXT    NOT NULL,
    opened_at         INTEGER NOT NULL,
    due_at            INTEGER NOT NULL,
    finished_at       INTEGER,
    dismiss_reason    TEXT,
    updated_at        INTEGER NOT NULL
);
CREATE INDEX cases_due ON cases (due_at, priority, id);
CREATE INDEX cases_status_due ON cases (status, due_at, priority);
CREATE INDEX cases_assignee ON cases (assignee_id);

CREATE TABLE case_platforms (
    case_id  INTEGER NOT NULL REFERENCES cases (id),
    platform TEXT    NOT NULL,
    PRIMARY KEY (case_id, platform)
);
CREATE INDEX case_platforms_platform ON case_platforms (platform, case_id);

CREATE TABLE case_links (
    case_id INTEGER NOT NULL REFERENCES cases (id),
    kind    TEXT    NOT NULL,   -- narrative, item
    target  TEXT    NOT NULL,
    PRIMARY KEY (case_id, kind, target)
);

-- Every proposal is kept; the case shows the newest.
CREATE TABLE verdicts (
    id           INTEGER PRIMARY KEY,
    case_id      INTEGER NOT NULL REFERENCES cases (id),
    rating       TEXT    NOT NULL,
    misinfo_type TEXT,
    explanation  TEXT    NOT NULL,
    proposed_by  INTEGER NOT NULL REFERENCES users (id),
    proposed_at  INTEGER NOT NULL,
    reviewed_by  INTEGER REFERENCES users (id),
    reviewed_at  INTEGER,
    approved     INTEGER,
    review_note  TEXT,
    CHECK (reviewed_by IS NULL OR reviewed_by <> proposed_by)
);
CREATE INDEX verdicts_case ON verdicts (case_id, id);

CREATE TABLE evidence (
    id           INTEGER PRIMARY KEY,
    case_id      INTEGER NOT NULL REFERENCES cases (id),
    kind         TEXT    NOT NULL,   -- link, note, file
    url          TEXT,
    note         TEXT,
    file_name    TEXT,
    content_type TEXT,
    size         INTEGER,
    sha256       TEXT,
    added_by     INTEGER NOT NULL REFERENCES users (id),
    added_at     INTEGER NOT NULL
);
CREATE INDEX evidence_case ON evidence (case_id, id);

CREATE TABLE audit_events (
    seq       INTEGER PRIMARY KEY,
    at_ms     INTEGER NOT NULL,
    actor     TEXT    NOT NULL,
    entity    TEXT    NOT NULL,
    entity_id TEXT    NOT NULL,
    action    TEXT    NOT NULL,
    before    TEXT,
    after     TEXT,
    prev_hash TEXT    NOT NULL,
    hash      TEXT    NOT NULL
);
CREATE INDEX audit_entity ON audit_events (entity, entity_id, seq);

-- The newest event's seq and hash, kept apart from the events so deleting the newest events shows.
CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  INTEGER NOT NULL,
    hash TEXT    NOT NULL
);
