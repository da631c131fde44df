-- Claim matching of narratives: the published fact-checks found for each narrative's central copy,
-- and what they mean for the narrative. Times are UTC seconds since the Unix epoch.

-- One row per matched narrative: which copy was matched, by which matcher against which state of the
-- fact-check collection (a difference in any of these means the narrative is matched again), and the
-- outcome analysts see.
CREATE TABLE narrative_claims (
    narrative_id           INTEGER PRIMARY KEY REFERENCES narratives (id),
    representative_item_id INTEGER NOT NULL REFERENCES items (id),
    matcher_version        TEXT    NOT NULL,
    factchecks_revision    TEXT    NOT NULL,
    matched_at             INTEGER NOT NULL,
    best_score             REAL,               -- null when no fact-check reached the suggest threshold
    debunked               INTEGER NOT NULL,   -- 1: the best match is at or above the auto-answer threshold
    priority               INTEGER,            -- 1 (P1) to 4, raised by a debunked match; null otherwise
    case_id                INTEGER REFERENCES cases (id)   -- the case opened for (or found on) the narrative
);
CREATE INDEX narrative_claims_debunked ON narrative_claims (debunked, priority);

-- The fact-checks found, best first; replaced whenever the narrative is matched again.
CREATE TABLE narrative_matches (
    narrative_id INTEGER NOT NULL REFERENCES narrative_claims (narrative_id),
    rank         INTEGER NOT NULL,   -- 1 is the best
    factcheck_id INTEGER NOT NULL REFERENCES factchecks (id),
    score        REAL    NOT NULL,   -- calibrated 0..1 (see docs/factcheck-formats.md)
    explanation  TEXT    NOT NULL,   -- JSON: claim_words, body_words, phrases, evidence
    PRIMARY KEY (narrative_id, rank)
);
CREATE INDEX narrative_matches_factcheck ON narrative_matches (factcheck_id);

-- Finding the cases that already link a narrative, so a detector does not open a second one.
CREATE INDEX case_links_target ON case_links (kind, target);
