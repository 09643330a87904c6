-- Tags on todos: TodoRules normalizes them (lowercased, no control characters, at most 20), and
-- they are kept in one column, one tag per line, in the order given; '' is no tags. A line break
-- never occurs inside a tag, so a tag filter matches whole lines.
ALTER TABLE todos ADD COLUMN tags TEXT NOT NULL DEFAULT '';
