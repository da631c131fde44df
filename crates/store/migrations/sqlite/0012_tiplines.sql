-- Tiplines: citizens report by WhatsApp and Telegram. A sender is known by a keyed hash of their number or
-- chat; the address replies go to is kept sealed by the server, only while it is needed, and erased on
-- request ("hapus") or after the contact retention period. Times are UTC seconds.

-- Where a report came in: web (the /lapor form), api, whatsapp, telegram.
ALTER TABLE citizen_reports ADD COLUMN channel TEXT NOT NULL DEFAULT 'web';

CREATE TABLE tipline_contacts (
    id           INTEGER PRIMARY KEY,
    channel      TEXT    NOT NULL,
    sender_hash  BLOB    NOT NULL,   -- keyed hash of the number or chat id, for lookup
    address      TEXT    NOT NULL,   -- the number or chat id, sealed by the server
    language     TEXT    NOT NULL,   -- id, en: the language of the last message
    subscribed   INTEGER NOT NULL DEFAULT 1,   -- follow-ups wanted (0 after "stop")
    first_seen   INTEGER NOT NULL,
    last_inbound INTEGER NOT NULL,   -- WhatsApp's 24-hour window runs from here
    UNIQUE (channel, sender_hash)
);
CREATE INDEX tipline_contacts_last_inbound ON tipline_contacts (last_inbound);

-- Message ids already taken: platforms deliver again until they get a 200.
CREATE TABLE tipline_seen (
    channel    TEXT    NOT NULL,
    message_id TEXT    NOT NULL,
    seen_at    INTEGER NOT NULL,
    PRIMARY KEY (channel, message_id)
);
CREATE INDEX tipline_seen_at ON tipline_seen (seen_at);

-- Which contact sent a report, until the contact is deleted.
CREATE TABLE tipline_reports (
    report_id   INTEGER PRIMARY KEY REFERENCES citizen_reports (id),
    contact_id  INTEGER NOT NULL REFERENCES tipline_contacts (id),
    forwarded   TEXT    NOT NULL,             -- no, yes, often
    followed_up INTEGER NOT NULL DEFAULT 0    -- the case's clarification was sent (or queued), once
);
CREATE INDEX tipline_reports_contact ON tipline_reports (contact_id);

-- Messages to send, written with the change that causes them; the sender retries with backoff.
CREATE TABLE tipline_outbox (
    id              INTEGER PRIMARY KEY,
    channel         TEXT    NOT NULL,
    contact_id      INTEGER,            -- NULL for the confirmation of a deletion
    address         TEXT,               -- sealed; NULL once sent or given up
    message         TEXT    NOT NULL,   -- JSON: a reply's text, or a follow-up's facts
    status          TEXT    NOT NULL,   -- pending, sent, failed, dropped
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER,
    created_at      INTEGER NOT NULL
);
CREATE INDEX tipline_outbox_due ON tipline_outbox (next_attempt_at, id) WHERE status = 'pending';
CREATE INDEX tipline_outbox_contact ON tipline_outbox (contact_id) WHERE status = 'pending';
