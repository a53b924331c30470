-- 0010: provenance of a composite fetched from a STAC catalogue (issue 19): the
-- catalogue and collection, the items composited, the share of observations masked
-- (cloud, shadow, snow) and the period. Before, it lived only in the COG's tags.
ALTER TABLE scenes ADD COLUMN catalog text;
ALTER TABLE scenes ADD COLUMN collection text;
ALTER TABLE scenes ADD COLUMN items jsonb;
ALTER TABLE scenes ADD COLUMN cloud_share double precision;
ALTER TABLE scenes ADD COLUMN period_start date;
ALTER TABLE scenes ADD COLUMN period_end date;
