-- Todos. The domain (TodoRules) validates every field; the checks here only guard the shape.
CREATE TABLE todos (
    id            TEXT PRIMARY KEY NOT NULL,
    owner_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    title         TEXT NOT NULL CHECK (title <> ''),
    notes         TEXT,
    due_date      TEXT CHECK (due_date GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    priority      TEXT NOT NULL DEFAULT 'normal' CHECK (priority IN ('low', 'normal', 'high')),
    completed_at  INTEGER,                  -- milliseconds since 1970; NULL while open
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
) STRICT;

-- Serves every listing in its order (open first, then due date with undated last, then creation,
-- then id) for one owner, so a page costs the same however many todos the owner has.
CREATE INDEX todos_listing ON todos(
    owner_id,
    (completed_at IS NOT NULL),
    (due_date IS NULL),
    coalesce(due_date, ''),
    created_at,
    id
);
