-- 0008: provenance of a composite fetched from a STAC catalogue (issue 19): the
-- catalogue and collection, the items composited, the share of observations masked
-- (cloud, shadow, snow) and the period. Before, it lived only in the COG's tags.
ALTER TABLE scenes ADD COLUMN catalog TEXT;
ALTER TABLE scenes ADD COLUMN collection TEXT;
ALTER TABLE scenes ADD COLUMN items TEXT;
ALTER TABLE scenes ADD COLUMN cloud_share REAL;
ALTER TABLE scenes ADD COLUMN period_start DATE;
ALTER TABLE scenes ADD COLUMN period_end DATE;
