-- GET /tickets/similar: a category (or a few) and a latitude band narrow the rows before the
-- longitude, public, status and age checks and the exact distance.
CREATE INDEX tickets_category_lat ON tickets (category_code, lat, lon);
