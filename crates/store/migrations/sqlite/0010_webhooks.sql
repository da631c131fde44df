-- Webhooks: registered endpoints, the outbox of events (written in the transaction of the change that
-- caused each), one delivery per event and endpoint, and every attempt. Times are UTC seconds.

CREATE TABLE webhook_endpoints (
    id                   INTEGER PRIMARY KEY,
    url                  TEXT    NOT NULL,
    description          TEXT,
    events               TEXT    NOT NULL,   -- JSON array of event types
    secret               TEXT    NOT NULL,   -- the signing secret, sealed by the server (never shown again)
    enabled              INTEGER NOT NULL DEFAULT 1,
    disabled_at          INTEGER,
    disabled_reason      TEXT,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    failing_since        INTEGER,
    created_by           TEXT    NOT NULL,
    created_at           INTEGER NOT NULL
);

CREATE TABLE webhook_events (
    id          INTEGER PRIMARY KEY,
    event_id    TEXT    NOT NULL UNIQUE,   -- the webhook-id header
    kind        TEXT    NOT NULL,
    subject     TEXT    NOT NULL,          -- e.g. case:7, takedown:3
    deadline    INTEGER,                   -- time-based events: the deadline they are about
    data        TEXT    NOT NULL,          -- JSON
    occurred_at INTEGER NOT NULL
);
-- A time-based event fires once per subject and deadline, whoever scans and however often.
CREATE UNIQUE INDEX webhook_events_once ON webhook_events (kind, subject, deadline) WHERE deadline IS NOT NULL;

CREATE TABLE webhook_deliveries (
    id              INTEGER PRIMARY KEY,
    event_id        INTEGER NOT NULL REFERENCES webhook_events (id),
    endpoint_id     INTEGER NOT NULL REFERENCES webhook_endpoints (id),
    status          TEXT    NOT NULL,   -- pending, delivered, failed
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER,
    UNIQUE (event_id, endpoint_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at, endpoint_id) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, id);

CREATE TABLE webhook_attempts (
    id            INTEGER PRIMARY KEY,
    delivery_id   INTEGER NOT NULL REFERENCES webhook_deliveries (id),
    at            INTEGER NOT NULL,
    status_code   INTEGER,
    error         TEXT,
    latency_ms    INTEGER NOT NULL,
    response_body TEXT
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, id);

-- For the overdue scan: pending URLs by deadline.
CREATE INDEX takedown_urls_pending_due ON takedown_urls (due_at) WHERE status = 'pending';
