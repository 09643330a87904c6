-- E-mail login codes waiting to be typed in; one per address, stored only as a keyed hash.
CREATE TABLE login_codes (
    id               TEXT PRIMARY KEY NOT NULL,
    email            TEXT NOT NULL UNIQUE,
    code_hash        TEXT NOT NULL,
    expires_at       INTEGER NOT NULL,
    failed_attempts  INTEGER NOT NULL DEFAULT 0
) STRICT;
