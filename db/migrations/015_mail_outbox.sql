-- E-mails waiting to be handed to the mail relay (login codes), so that a sign-in never waits for
-- SMTP and a message survives a restart. A row is removed once sent, once it failed for good, or
-- once what it carries has expired; `next_attempt_at` is also the lease of a worker that claimed it.
CREATE TABLE mail_outbox (
    id               TEXT PRIMARY KEY NOT NULL,
    message          TEXT NOT NULL,            -- the e-mail as JSON
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER NOT NULL,         -- milliseconds since 1970
    expires_at       INTEGER NOT NULL          -- milliseconds since 1970
) STRICT;

CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at);
