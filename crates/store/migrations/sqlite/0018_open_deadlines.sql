-- Open cases in deadline order: the queue's default order and the SLA filters (breached, at risk) read only
-- the cases still running, however many finished ones the desk has behind it.
CREATE INDEX cases_open_due ON cases (due_at, priority, id) WHERE finished_at IS NULL;
