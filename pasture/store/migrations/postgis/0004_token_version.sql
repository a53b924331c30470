-- 0004: every change of an account moves its token_version on, which ends the tokens
-- issued before (tokens carry the version they were issued at). Tokens issued before
-- this migration carry none and are refused: everyone signs in again once.
ALTER TABLE users ADD COLUMN token_version bigint NOT NULL DEFAULT 0;
ALTER TABLE users ALTER COLUMN token_version DROP DEFAULT;
