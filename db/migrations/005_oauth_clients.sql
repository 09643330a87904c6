-- OAuth clients registered dynamically (RFC 7591). Public clients only: no secrets.
CREATE TABLE oauth_clients (
    id             TEXT PRIMARY KEY NOT NULL,
    metadata_hash  TEXT NOT NULL UNIQUE,     -- the same metadata registers once
    name           TEXT NOT NULL,
    redirect_uris  TEXT NOT NULL,            -- JSON array of strings
    created_at     INTEGER NOT NULL          -- milliseconds since 1970
) STRICT;
