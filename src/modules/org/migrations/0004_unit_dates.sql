-- The life of a unit as local dates ('YYYY-MM-DD'): records of a unit must
-- fall within it. established_on NULL means "since before any record";
-- closed_on NULL means the unit is open. (created_at_ms and closed_at_ms are
-- the instants the rows were written and closed in this system.)
ALTER TABLE units ADD COLUMN established_on TEXT;
ALTER TABLE units ADD COLUMN closed_on TEXT;
