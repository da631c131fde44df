-- What a clarification is about (pemilu, kesehatan, ...; NULL when not given), and the indexes the public
-- list's filters read through: by rating or by topic, each in publication order, so a filtered page is a
-- range of one index, not a scan and a sort.
ALTER TABLE clarifications ADD COLUMN topic TEXT;
CREATE INDEX clarifications_rating ON clarifications (status, rating, published_at, id);
CREATE INDEX clarifications_topic ON clarifications (status, topic, published_at, id);
