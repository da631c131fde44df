-- Partners' fact-check feeds read by `tangkal factchecks pull`, and where the next pull of each starts.
CREATE TABLE factcheck_sources (
    url        TEXT    PRIMARY KEY,
    since      TEXT,                -- RFC 3339 on the partner's clock, asked as ?since=; NULL: from the start
    pulled_at  INTEGER NOT NULL     -- UTC seconds since the Unix epoch
);
