-- Login codes are bound to the sign-in flow (the browser cookie) that asked for them: one code per
-- address and flow, so that a stranger's request or guesses never replace or burn another's code.
-- Codes live ten minutes, so the old table is dropped rather than converted.
DROP TABLE login_codes;

CREATE TABLE login_codes (
    id          TEXT PRIMARY KEY NOT NULL,
    email       TEXT NOT NULL,
    flow_id     TEXT NOT NULL,           -- keyed hash of the browser's flow cookie
    code_hash   TEXT NOT NULL,
    expires_at  INTEGER NOT NULL,        -- milliseconds since 1970
    attempts    INTEGER NOT NULL DEFAULT 0,
    UNIQUE (email, flow_id)
) STRICT;

CREATE INDEX login_codes_by_expiry ON login_codes(expires_at);
