-- 0013: each plan herd's contributors at plan time (issue 22, as the load's in 0011): how
-- many households' animals are in its heads and the largest ones' shares, from the census
-- its heads came from, so that the disclosure rules decide from the households behind the
-- stored heads, not from today's census. Herds of plans stored before have them null:
-- their disclosure falls back to today's census.
ALTER TABLE plan_herds ADD COLUMN contributors INTEGER;
ALTER TABLE plan_herds ADD COLUMN top_shares TEXT;
