-- The dashboard at national scale: its figures are read from narrow indexes and a small hourly tally
-- instead of the wide rows of cases, verdicts and narratives and a million items.
CREATE INDEX cases_opened ON cases (opened_at, urgency, due_at, finished_at);
CREATE INDEX verdicts_approved ON verdicts (case_id, approved, reviewed_at);
CREATE INDEX verdicts_rating ON verdicts (approved, rating);
CREATE INDEX clarifications_first ON clarifications (case_id, status, published_at);
-- Items per UTC hour of publication and platform, kept by the item writer in the transaction that writes
-- the items. Every zone Indonesia uses is a whole number of hours from UTC, so local days add up from
-- these hours.
CREATE TABLE item_hours (
    hour     INTEGER NOT NULL,  -- published_at / 3600
    platform TEXT    NOT NULL,
    items    INTEGER NOT NULL,
    PRIMARY KEY (hour, platform)
) WITHOUT ROWID;
INSERT INTO item_hours (hour, platform, items)
    SELECT published_at / 3600, platform, COUNT(*) FROM items GROUP BY 1, 2;
-- Takedown figures per platform and period (the dashboard, the transparency log) without reading the
-- requests' legal basis or the URLs' text.
CREATE INDEX takedown_requests_figures ON takedown_requests (sent_at, platform);
CREATE INDEX takedown_urls_times ON takedown_urls (request_id, added_at, complied_at);
