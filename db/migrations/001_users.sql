-- A person who can own todos. Created by the first successful login.
CREATE TABLE users (
    id          TEXT PRIMARY KEY NOT NULL,
    created_at  INTEGER NOT NULL            -- milliseconds since 1970
) STRICT;
