-- 0003: accounts of the web API. Passwords are stored only as argon2 hashes.
CREATE TABLE users (
    username      text NOT NULL,
    password_hash text NOT NULL,
    role          text NOT NULL CHECK (role IN ('akimat', 'union', 'analyst')),
    union_id      text REFERENCES unions (id),
    disabled      integer NOT NULL DEFAULT 0,
    created_at    timestamptz NOT NULL,
    PRIMARY KEY (username),
    CHECK ((role = 'union') = (union_id IS NOT NULL))
);
