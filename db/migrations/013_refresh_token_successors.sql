-- Each rotated refresh token names the token that replaced it, so that the grace period for
-- concurrent refreshes covers only the previous token, and only while its successor is unused.
ALTER TABLE refresh_tokens ADD COLUMN successor_hash TEXT;
