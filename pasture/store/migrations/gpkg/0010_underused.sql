-- The capacity status of a load row said "unused" below half of the eaten forage. That
-- is the law's word, and the law measures it against the norm (norm_status), not
-- against forage: the capacity status is now "underused" (grazing_models.load).
UPDATE load SET status = 'underused' WHERE status = 'unused';
