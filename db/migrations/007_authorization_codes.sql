-- Authorization codes, stored as SHA-256, bound to everything the token request must repeat.
CREATE TABLE authorization_codes (
    code_hash       TEXT PRIMARY KEY NOT NULL,
    client_id       TEXT NOT NULL REFERENCES oauth_clients(id) ON DELETE CASCADE,
    user_id         TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    redirect_uri    TEXT NOT NULL,
    code_challenge  TEXT NOT NULL,
    resource        TEXT NOT NULL,
    scopes          TEXT NOT NULL,           -- space-separated
    expires_at      INTEGER NOT NULL,
    used_at         INTEGER,
    family_id       TEXT                     -- the refresh-token family issued from it
) STRICT;

CREATE INDEX authorization_codes_by_expiry ON authorization_codes(expires_at);
