-- An item's text is usually also inside its raw record (the item format's `text` member): keep it once.
-- `text_copy` holds the text only when the raw record does not (CSV rows, feed entries) and is empty
-- otherwise (a stored text is never empty); queries read it through the `item_text!` SQL fragment.
-- (Not a generated column: SQLite would compute a virtual column on every insert and update too.)
ALTER TABLE items RENAME COLUMN text TO text_copy;

-- Items not (yet) placed in a narrative, e.g. imported with `--no-detect`, stay out of the narrative index.
DROP INDEX items_narrative;
CREATE INDEX items_narrative ON items (narrative_id, published_at) WHERE narrative_id IS NOT NULL;
