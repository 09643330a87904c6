-- What each person set for their todos: the IANA time zone that decides which day is today for
-- the today and overdue filters (NULL: UTC).
CREATE TABLE todo_settings (
    owner_id   TEXT PRIMARY KEY NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    time_zone  TEXT CHECK (length(time_zone) BETWEEN 1 AND 64)
) STRICT, WITHOUT ROWID;
