-- The response to a case: takedown requests with per-URL outcomes, public clarifications with their
-- corrections, and citizen reports. Times are UTC seconds since the Unix epoch.

-- One request per platform per case; more URLs are added to it.
CREATE TABLE takedown_requests (
    id          INTEGER PRIMARY KEY,
    case_id     INTEGER NOT NULL REFERENCES cases (id),
    platform    TEXT    NOT NULL,
    reference   TEXT    NOT NULL UNIQUE,
    urgency     TEXT    NOT NULL,
    legal_basis TEXT    NOT NULL,
    sent_by     TEXT    NOT NULL,
    sent_at     INTEGER NOT NULL,
    due_at      INTEGER NOT NULL,
    UNIQUE (case_id, platform)
);
CREATE INDEX takedown_requests_platform ON takedown_requests (platform, sent_at);
CREATE INDEX takedown_requests_sent ON takedown_requests (sent_at);

CREATE TABLE takedown_urls (
    id          INTEGER PRIMARY KEY,
    request_id  INTEGER NOT NULL REFERENCES takedown_requests (id),
    url         TEXT    NOT NULL,
    host        TEXT    NOT NULL,
    status      TEXT    NOT NULL,   -- pending, removed, restricted, rejected, not_found
    note        TEXT,
    added_at    INTEGER NOT NULL,
    due_at      INTEGER NOT NULL,
    answered_at INTEGER,
    complied_at INTEGER,
    UNIQUE (request_id, url)
);

-- Every answer a platform gave for a URL, oldest first.
CREATE TABLE takedown_url_events (
    id     INTEGER PRIMARY KEY,
    url_id INTEGER NOT NULL REFERENCES takedown_urls (id),
    status TEXT    NOT NULL,
    note   TEXT,
    at     INTEGER NOT NULL,
    by     TEXT    NOT NULL
);
CREATE INDEX takedown_url_events_url ON takedown_url_events (url_id, id);

CREATE TABLE clarifications (
    id            INTEGER PRIMARY KEY,
    case_id       INTEGER NOT NULL REFERENCES cases (id),
    slug          TEXT    NOT NULL UNIQUE,
    rating        TEXT    NOT NULL,
    title         TEXT    NOT NULL,
    claim         TEXT    NOT NULL,
    body_markdown TEXT    NOT NULL,
    sources       TEXT    NOT NULL,   -- JSON array of {title, url}
    status        TEXT    NOT NULL,   -- draft, published
    created_by    TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    published_at  INTEGER
);
CREATE INDEX clarifications_case ON clarifications (case_id, id);
CREATE INDEX clarifications_published ON clarifications (status, published_at, id);
CREATE INDEX clarifications_updated ON clarifications (status, updated_at, id);

-- Open corrections of published clarifications, oldest first.
CREATE TABLE clarification_corrections (
    id                     INTEGER PRIMARY KEY,
    clarification_id       INTEGER NOT NULL REFERENCES clarifications (id),
    at                     INTEGER NOT NULL,
    by                     TEXT    NOT NULL,
    reason                 TEXT    NOT NULL,
    previous_title         TEXT,
    previous_body_markdown TEXT
);
CREATE INDEX clarification_corrections_of ON clarification_corrections (clarification_id, id);

-- Only the hash of a report's status token is kept; the contact is erased after the retention period.
CREATE TABLE citizen_reports (
    id               INTEGER PRIMARY KEY,
    reference        TEXT    NOT NULL UNIQUE,
    token_hash       BLOB    NOT NULL,
    text             TEXT,
    url              TEXT,
    platform         TEXT    NOT NULL,
    contact          TEXT,
    contact_erased   INTEGER NOT NULL DEFAULT 0,
    status           TEXT    NOT NULL,   -- received, answered, linked, dismissed
    answer           TEXT,               -- JSON {rating, title, url}
    narrative_id     INTEGER,
    case_id          INTEGER REFERENCES cases (id),
    dismiss_reason   TEXT,
    received_at      INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);
CREATE INDEX citizen_reports_status ON citizen_reports (status, received_at);
CREATE INDEX citizen_reports_case ON citizen_reports (case_id);
CREATE INDEX citizen_reports_contact ON citizen_reports (received_at) WHERE contact IS NOT NULL;
