-- How many todos each owner keeps, kept by triggers: creating a todo checks the owner's limit with
-- one row instead of counting the owner's todos, so a create costs the same at 10 todos as at 10,000.
CREATE TABLE todo_counts (
    owner_id  TEXT PRIMARY KEY NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    count     INTEGER NOT NULL CHECK (count >= 0)
) STRICT, WITHOUT ROWID;

INSERT INTO todo_counts (owner_id, count) SELECT owner_id, count(*) FROM todos GROUP BY owner_id;

CREATE TRIGGER todos_counted_on_insert AFTER INSERT ON todos BEGIN
    INSERT INTO todo_counts (owner_id, count) VALUES (NEW.owner_id, 1)
    ON CONFLICT (owner_id) DO UPDATE SET count = count + 1;
END;

-- A count that reaches zero goes, so nothing of an owner with no todos stays behind.
CREATE TRIGGER todos_counted_on_delete AFTER DELETE ON todos BEGIN
    UPDATE todo_counts SET count = count - 1 WHERE owner_id = OLD.owner_id;
    DELETE FROM todo_counts WHERE owner_id = OLD.owner_id AND count = 0;
END;
