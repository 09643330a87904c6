-- Grants (refresh-token families) whose access tokens are refused before they expire: a replayed
-- authorization code or refresh token, or a revoked refresh token, ends every access token issued
-- from that grant. Kept until the last of those access tokens would have expired anyway.
CREATE TABLE revoked_grants (
    grant_id    TEXT PRIMARY KEY NOT NULL,
    expires_at  INTEGER NOT NULL          -- milliseconds since 1970
) STRICT;
