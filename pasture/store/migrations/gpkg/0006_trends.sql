-- 0006: the trends table records how each flag was made: composites tested, the
-- Benjamini-Hochberg q-value, the false discovery rate flags are controlled at, the
-- test and the reference (docs/domain.md, "Degradation trends").
ALTER TABLE trends ADD COLUMN n_values INTEGER;
ALTER TABLE trends ADD COLUMN q_value REAL;
ALTER TABLE trends ADD COLUMN fdr_q REAL;
ALTER TABLE trends ADD COLUMN method TEXT;
ALTER TABLE trends ADD COLUMN reference TEXT;
