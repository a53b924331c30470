-- 0008: one forage basis (issue 16). Capacity records the harvest efficiency it ate
-- the removal allowance at; load records both loads and both statuses side by side,
-- where its livestock came from (a plan, households outside it), why the statuses
-- disagree, and the plot condition the norm row was read for and its basis.
ALTER TABLE capacity ADD COLUMN harvest_efficiency double precision;
ALTER TABLE load ADD COLUMN norm_load double precision;
ALTER TABLE load ADD COLUMN disagreement text;
ALTER TABLE load ADD COLUMN load_source text;
ALTER TABLE load ADD COLUMN condition text;
ALTER TABLE load ADD COLUMN condition_basis text;
