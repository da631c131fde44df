-- Published fact-checks, current version per row; earlier versions in factcheck_versions.
-- Dates are YYYY-MM-DD text, times UTC seconds since the Unix epoch.
CREATE TABLE factchecks (
    id                  INTEGER PRIMARY KEY,
    external_id         TEXT    NOT NULL UNIQUE,
    version             INTEGER NOT NULL,
    title               TEXT    NOT NULL,
    claim               TEXT,
    rating              TEXT,
    misinformation_type TEXT,
    explanation         TEXT,
    conclusion          TEXT,
    url                 TEXT,
    url_key             TEXT,               -- normalised URL, for de-duplication
    publisher           TEXT,
    published_on        TEXT,
    lang                TEXT,
    provenance          TEXT,
    search_text         TEXT    NOT NULL,   -- lower-cased title, claim and conclusion
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL
);

CREATE INDEX factchecks_url_key ON factchecks (url_key);
CREATE INDEX factchecks_published_on ON factchecks (published_on);

CREATE TABLE factcheck_versions (
    factcheck_id INTEGER NOT NULL REFERENCES factchecks (id),
    version      INTEGER NOT NULL,
    record       TEXT    NOT NULL,           -- the record as it was, JSON
    replaced_at  INTEGER NOT NULL,
    PRIMARY KEY (factcheck_id, version)
);
