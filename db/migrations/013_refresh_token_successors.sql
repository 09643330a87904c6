-- Each refresh token names the token it replaced and, once rotated, the token that replaced it.
-- Grace for concurrent refreshes covers only the previous token while its replacement is unused;
-- when one of several tokens issued from the same parent is used, the others become replays.
ALTER TABLE refresh_tokens ADD COLUMN successor_hash TEXT;
ALTER TABLE refresh_tokens ADD COLUMN parent_hash TEXT;

CREATE INDEX refresh_tokens_by_parent ON refresh_tokens(parent_hash);
