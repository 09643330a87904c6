-- The e-mail addresses a user logs in with. An address belongs to at most one user.
CREATE TABLE user_emails (
    email       TEXT PRIMARY KEY NOT NULL COLLATE NOCASE,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at  INTEGER NOT NULL            -- milliseconds since 1970
) STRICT;

CREATE INDEX user_emails_by_user ON user_emails(user_id);
