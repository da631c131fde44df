#!/usr/bin/env python3
"""What SQLite alone needs to store the rows of an import: copies the items of a store made by
`tangkal ingest` into a new database with the same table, indexes and settings as an import (32 KiB pages,
WAL, a 32 MiB cache, no checkpoints on the way), 100,000 rows per transaction, with one INSERT ... SELECT each.
Nothing is parsed, looked up or decided: the time is a floor for any import that stores these rows in
SQLite (reading them from the other file is included, a small part).

Usage: python3 scripts/sqlite-floor.py STORE.sqlite3 NEW.sqlite3
"""
import sqlite3
import sys

TRANSACTION = 100_000


def main():
    source, target = sys.argv[1], sys.argv[2]
    db = sqlite3.connect(target, isolation_level=None)
    for pragma in ["page_size = 32768", "journal_mode = WAL", "synchronous = NORMAL", "cache_size = -32768",
                   "wal_autocheckpoint = 0", "temp_store = MEMORY"]:
        db.execute(f"PRAGMA {pragma}")
    db.execute("ATTACH ? AS source", (source,))
    schema = db.execute("SELECT sql FROM source.sqlite_schema WHERE tbl_name = 'items' AND sql IS NOT NULL "
                        "ORDER BY type = 'index'").fetchall()
    for (sql,) in schema:
        # References to other tables are not needed to store the rows.
        db.execute(sql.replace("REFERENCES accounts (id)", "").replace("REFERENCES sources (id)", "")
                   .replace("DEFERRABLE INITIALLY DEFERRED", ""))
    last = db.execute("SELECT MAX(id) FROM source.items").fetchone()[0] or 0
    for start in range(0, last, TRANSACTION):
        db.execute("BEGIN")
        db.execute("INSERT INTO main.items SELECT * FROM source.items WHERE id > ? AND id <= ?",
                   (start, start + TRANSACTION))
        db.execute("COMMIT")
    print(db.execute("SELECT COUNT(*) FROM main.items").fetchone()[0])


if __name__ == "__main__":
    main()
