-- Analysts list citizen reports newest first, by narrative and by time received.
CREATE INDEX citizen_reports_received ON citizen_reports (received_at, id);
CREATE INDEX citizen_reports_narrative ON citizen_reports (narrative_id, received_at) WHERE narrative_id IS NOT NULL;
