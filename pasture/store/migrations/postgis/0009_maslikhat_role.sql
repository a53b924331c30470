-- 0009: accounts of the district maslikhat's secretariat (role 'maslikhat'), who record
-- the maslikhat's decision adopting a pasture management plan (Land Code Art. 15 п.1
-- пп.2-1). The role check of 0003 is replaced, whatever name PostgreSQL gave it.
DO $$
DECLARE
    found text;
BEGIN
    FOR found IN
        SELECT conname FROM pg_constraint
        WHERE conrelid = 'users'::regclass AND contype = 'c'
          AND pg_get_constraintdef(oid) LIKE '%role%analyst%'
    LOOP
        EXECUTE format('ALTER TABLE users DROP CONSTRAINT %I', found);
    END LOOP;
END $$;
ALTER TABLE users ADD CONSTRAINT users_role_check
    CHECK (role IN ('akimat', 'union', 'analyst', 'maslikhat'));
