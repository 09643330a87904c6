-- The account page. Browser sessions (the account page's and the sign-in pages') carry their
-- user's session generation; "Sign out everywhere" raises it, which ends every session issued
-- before, on every browser.
ALTER TABLE users ADD COLUMN session_generation INTEGER NOT NULL DEFAULT 0;

-- When a user first approved a client (granted_at moves with each approval of more scopes).
ALTER TABLE consents ADD COLUMN first_granted_at INTEGER;
UPDATE consents SET first_granted_at = granted_at;

-- A user's connected apps: their refresh tokens per client.
CREATE INDEX refresh_tokens_by_user ON refresh_tokens(user_id, client_id);

-- An authorization code names the session generation it was issued under: redeeming it needs the
-- account's generation unchanged and the client still approved, so a code issued while "Sign out
-- everywhere" or "Disconnect" runs can never start a grant afterwards.
ALTER TABLE authorization_codes ADD COLUMN session_generation INTEGER NOT NULL DEFAULT 0;
