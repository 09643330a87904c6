-- What a user approved for a client, so the consent page is shown once.
CREATE TABLE consents (
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    client_id   TEXT NOT NULL REFERENCES oauth_clients(id) ON DELETE CASCADE,
    scopes      TEXT NOT NULL,               -- space-separated
    granted_at  INTEGER NOT NULL,
    PRIMARY KEY (user_id, client_id)
) STRICT;
