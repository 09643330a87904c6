-- The whole schema of SQLite's migrations 001 to 019, for PostgreSQL. Times are milliseconds since
-- 1970 (bigint), as in SQLite, so that both stores map rows alike and `todo-server copy` moves
-- values unchanged. Columns that order listings or keyset pages use the "C" collation (byte order,
-- as SQLite compares text), whatever the database's own collation is.

-- A person who can own todos. Created by the first successful login. "Sign out everywhere" raises
-- the session generation, which ends every browser session issued before.
CREATE TABLE users (
    id                  text COLLATE "C" PRIMARY KEY,
    created_at          bigint NOT NULL,
    session_generation  integer NOT NULL DEFAULT 0
);

-- The e-mail addresses a user logs in with. An address belongs to at most one user, compared
-- without regard to ASCII case (lower() of a "C" text folds ASCII only, as SQLite's NOCASE).
CREATE TABLE user_emails (
    email       text COLLATE "C" NOT NULL,
    user_id     text COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at  bigint NOT NULL
);
CREATE UNIQUE INDEX user_emails_by_email ON user_emails (lower(email));
CREATE INDEX user_emails_by_user ON user_emails (user_id);

-- Todos. The domain (TodoRules) validates every field; the checks here only guard the shape. Tags
-- are one column, one tag per line, in the order given; '' is no tags.
CREATE TABLE todos (
    id            text COLLATE "C" PRIMARY KEY,
    owner_id      text COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    title         text COLLATE "C" NOT NULL CHECK (title <> ''),
    notes         text COLLATE "C",
    due_date      text COLLATE "C" CHECK (due_date ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'),
    priority      text NOT NULL DEFAULT 'normal' CHECK (priority IN ('low', 'normal', 'high')),
    completed_at  bigint,
    created_at    bigint NOT NULL,
    updated_at    bigint NOT NULL,
    tags          text COLLATE "C" NOT NULL DEFAULT '',
    -- The terms of the listing order, as columns: PostgreSQL matches `done = $1` to an index
    -- column, where it would rewrite a condition on `(completed_at IS NOT NULL)` past the index.
    done          boolean GENERATED ALWAYS AS (completed_at IS NOT NULL) STORED,
    undated       boolean GENERATED ALWAYS AS (due_date IS NULL) STORED,
    due_key       text COLLATE "C" GENERATED ALWAYS AS (coalesce(due_date, '')) STORED
);

-- Serves every listing in its order (open first, then due date with undated last, then creation,
-- then id) for one owner, so a page costs the same however many todos the owner has.
CREATE INDEX todos_listing ON todos (owner_id, done, undated, due_key, created_at, id);

-- How many todos each owner keeps: creating a todo takes a slot here in the same statement (see
-- PostgresTodoRepository.insert), so parallel creates on any instance never pass the limit, and a
-- create costs the same at 10 todos as at 10,000. Deletes give slots back by trigger.
CREATE TABLE todo_counts (
    owner_id  text COLLATE "C" PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    count     integer NOT NULL CHECK (count >= 0)
);

CREATE FUNCTION todo_counts_release() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE todo_counts SET count = count - 1 WHERE owner_id = OLD.owner_id;
    DELETE FROM todo_counts WHERE owner_id = OLD.owner_id AND count = 0;
    RETURN NULL;
END;
$$;

CREATE TRIGGER todos_counted_on_delete AFTER DELETE ON todos FOR EACH ROW EXECUTE FUNCTION todo_counts_release();

-- What each person set for their todos: the IANA time zone of "today" (NULL: UTC).
CREATE TABLE todo_settings (
    owner_id   text COLLATE "C" PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    time_zone  text CHECK (length(time_zone) BETWEEN 1 AND 64)
);

-- Legacy MCP sessions (protocol 2025-11-25 and earlier), bound to the user who created them.
CREATE TABLE mcp_sessions (
    id                text COLLATE "C" PRIMARY KEY,
    user_id           text COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    protocol_version  text NOT NULL,
    created_at        bigint NOT NULL,
    last_used_at      bigint NOT NULL
);
CREATE INDEX mcp_sessions_by_user ON mcp_sessions (user_id);
CREATE INDEX mcp_sessions_by_last_use ON mcp_sessions (last_used_at);

-- OAuth clients registered dynamically (RFC 7591) or by metadata document. Public clients only.
CREATE TABLE oauth_clients (
    id             text COLLATE "C" PRIMARY KEY,
    metadata_hash  text NOT NULL UNIQUE,     -- the same metadata registers once
    name           text NOT NULL,
    redirect_uris  text NOT NULL,            -- JSON array of strings
    created_at     bigint NOT NULL
);

-- E-mail login codes waiting to be typed in, one per address and sign-in flow, stored only as a
-- keyed hash.
CREATE TABLE login_codes (
    id          text PRIMARY KEY,
    email       text NOT NULL,
    flow_id     text NOT NULL,
    code_hash   text NOT NULL,
    expires_at  bigint NOT NULL,
    attempts    integer NOT NULL DEFAULT 0,
    UNIQUE (email, flow_id)
);
CREATE INDEX login_codes_by_expiry ON login_codes (expires_at);

-- Authorization codes, stored as SHA-256, bound to everything the token request must repeat, and
-- to the session generation they were issued under.
CREATE TABLE authorization_codes (
    code_hash           text PRIMARY KEY,
    client_id           text COLLATE "C" NOT NULL REFERENCES oauth_clients(id) ON DELETE CASCADE,
    user_id             text COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    redirect_uri        text NOT NULL,
    code_challenge      text NOT NULL,
    resource            text NOT NULL,
    scopes              text NOT NULL,       -- space-separated
    expires_at          bigint NOT NULL,
    used_at             bigint,
    family_id           text,                -- the refresh-token family issued from it
    session_generation  integer NOT NULL DEFAULT 0
);
CREATE INDEX authorization_codes_by_expiry ON authorization_codes (expires_at);
CREATE INDEX authorization_codes_by_user ON authorization_codes (user_id, client_id);

-- What a user approved for a client, so the consent page is shown once.
CREATE TABLE consents (
    user_id           text COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    client_id         text COLLATE "C" NOT NULL REFERENCES oauth_clients(id) ON DELETE CASCADE,
    scopes            text NOT NULL,         -- space-separated
    granted_at        bigint NOT NULL,
    first_granted_at  bigint,
    PRIMARY KEY (user_id, client_id)
);
CREATE INDEX consents_by_client ON consents (client_id);

-- Refresh tokens, stored as SHA-256. Each rotation adds a token to the family of its
-- authorization, naming the token it replaced and, once rotated, the token that replaced it.
CREATE TABLE refresh_tokens (
    token_hash      text PRIMARY KEY,
    family_id       text NOT NULL,
    client_id       text COLLATE "C" NOT NULL REFERENCES oauth_clients(id) ON DELETE CASCADE,
    user_id         text COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    resource        text NOT NULL,
    scopes          text NOT NULL,           -- space-separated
    issued_at       bigint NOT NULL,
    expires_at      bigint NOT NULL,
    rotated_at      bigint,
    revoked_at      bigint,
    successor_hash  text,
    parent_hash     text
);
CREATE INDEX refresh_tokens_by_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_by_expiry ON refresh_tokens (expires_at);
CREATE INDEX refresh_tokens_by_client ON refresh_tokens (client_id);
CREATE INDEX refresh_tokens_by_parent ON refresh_tokens (parent_hash);
CREATE INDEX refresh_tokens_by_user ON refresh_tokens (user_id, client_id);

-- Access-token signing keys generated by the server when none are configured.
CREATE TABLE signing_keys (
    id          text COLLATE "C" PRIMARY KEY,
    secret      bytea NOT NULL,
    created_at  bigint NOT NULL
);

-- Access tokens revoked before they expire; kept until they would have expired anyway.
CREATE TABLE revoked_access_tokens (
    token_id    text PRIMARY KEY,
    expires_at  bigint NOT NULL
);

-- Grants (refresh-token families) whose access tokens are refused before they expire.
CREATE TABLE revoked_grants (
    grant_id    text PRIMARY KEY,
    expires_at  bigint NOT NULL
);

-- E-mails waiting to be handed to the mail relay; `next_attempt_at` is also the lease of the
-- worker (on any instance) that claimed it.
CREATE TABLE mail_outbox (
    id               text PRIMARY KEY,
    message          text NOT NULL,          -- the e-mail as JSON
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  bigint NOT NULL,
    expires_at       bigint NOT NULL
);
CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at);
