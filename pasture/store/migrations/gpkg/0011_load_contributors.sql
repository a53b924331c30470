-- 0011: what a load row was computed from (issue 22): the plan whose livestock it counts
-- and its contributors (how many households, the largest ones' shares), so that the
-- disclosure rules decide from the households behind the stored figures, not from
-- today's plan and census. Rows stored before have them null: their disclosure falls
-- back to today's computation until `pasture load` runs again.
ALTER TABLE load ADD COLUMN plan_id TEXT;
ALTER TABLE load ADD COLUMN contributors INTEGER;
ALTER TABLE load ADD COLUMN top_shares TEXT;
