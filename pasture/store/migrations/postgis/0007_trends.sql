-- 0007: the trends table records how each flag was made: composites tested, the
-- Benjamini-Hochberg q-value, the false discovery rate flags are controlled at, the
-- test and the reference (docs/domain.md, "Degradation trends").
ALTER TABLE trends ADD COLUMN n_values integer;
ALTER TABLE trends ADD COLUMN q_value double precision;
ALTER TABLE trends ADD COLUMN fdr_q double precision;
ALTER TABLE trends ADD COLUMN method text;
ALTER TABLE trends ADD COLUMN reference text;
