-- Request budgets shared by every process on the store (sign-in attempts): a key (a hash naming the budget
-- and whose it is) and its theoretical arrival time in milliseconds (GCRA). A row whose time has passed is
-- at full budget and may be removed.
CREATE TABLE request_budgets (
    key BLOB PRIMARY KEY,
    tat INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX request_budgets_tat ON request_budgets (tat);
