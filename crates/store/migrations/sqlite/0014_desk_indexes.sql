-- The desk at national scale (a million items, hundreds of thousands of narratives).
-- Rising narratives are read in exactly this order, so the queue and the dashboard take the first rows
-- of an index instead of sorting every narrative on each request.
DROP INDEX narratives_velocity;
CREATE INDEX narratives_velocity ON narratives (velocity_1h DESC, velocity_6h DESC, velocity_24h DESC, items DESC, id)
    WHERE merged_into IS NULL;
-- A narrative's page groups its posts by variant, account, hour and platform: with these columns in the
-- index the largest narratives (tens of thousands of posts) are read from the index alone.
DROP INDEX items_narrative;
CREATE INDEX items_narrative ON items (narrative_id, published_at, platform, account_id, narrative_copy);
