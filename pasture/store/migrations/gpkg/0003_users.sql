-- 0003: accounts of the web API. Passwords are stored only as argon2 hashes.
CREATE TABLE users (
    fid           INTEGER PRIMARY KEY AUTOINCREMENT,
    username      TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('akimat', 'union', 'analyst')),
    union_id      TEXT REFERENCES unions (id),
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    DATETIME NOT NULL,
    UNIQUE (username),
    CHECK ((role = 'union') = (union_id IS NOT NULL))
);
