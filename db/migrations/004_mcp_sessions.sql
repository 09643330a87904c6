-- Legacy MCP sessions (protocol 2025-11-25 and earlier), bound to the user who created them.
CREATE TABLE mcp_sessions (
    id                TEXT PRIMARY KEY NOT NULL,
    user_id           TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    protocol_version  TEXT NOT NULL,
    created_at        INTEGER NOT NULL,   -- milliseconds since 1970
    last_used_at      INTEGER NOT NULL
) STRICT;

CREATE INDEX mcp_sessions_by_user ON mcp_sessions(user_id);
CREATE INDEX mcp_sessions_by_last_use ON mcp_sessions(last_used_at);
