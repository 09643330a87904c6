-- Access tokens revoked before they expire; kept until they would have expired anyway.
CREATE TABLE revoked_access_tokens (
    token_id    TEXT PRIMARY KEY NOT NULL,
    expires_at  INTEGER NOT NULL
) STRICT;
