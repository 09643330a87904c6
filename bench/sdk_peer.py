#!/usr/bin/env python3
"""The peer of `make bench`: the official MCP Python SDK serving the same six todo tools.

Same storage engine (a SQLite file in WAL mode with synchronous=FULL, so writes are as durable as
ours), same tool names, arguments and structured results, served over Streamable HTTP in JSON
mode, stateless, by uvicorn as the SDK runs it. It checks no bearer token: that favours the peer.
Usage: sdk_peer.py PORT DATABASE_PATH OWNER
"""

import os
import secrets
import sqlite3
import sys
import time

from mcp.server.mcpserver import MCPServer
from pydantic import BaseModel


class Todo(BaseModel):
    id: str
    title: str
    notes: str | None
    dueDate: str | None
    priority: str
    completed: bool
    completedAt: str | None
    createdAt: str
    updatedAt: str


class TodoPage(BaseModel):
    todos: list[Todo]
    nextCursor: str | None


class Deleted(BaseModel):
    deleted: bool
    todo: Todo


port, path, owner = int(sys.argv[1]), sys.argv[2], sys.argv[3]
database = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
database.execute("PRAGMA journal_mode=WAL")
database.execute("PRAGMA synchronous=FULL")
database.execute(
    """CREATE TABLE IF NOT EXISTS todos (id TEXT PRIMARY KEY, owner_id TEXT NOT NULL, title TEXT NOT NULL, notes TEXT,
       due_date TEXT, priority TEXT NOT NULL, completed_at TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL)"""
)
database.execute("CREATE INDEX IF NOT EXISTS todos_by_owner ON todos (owner_id, completed_at, due_date, created_at)")
COLUMNS = "id, title, notes, due_date, priority, completed_at, created_at, updated_at"


def now():
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())


def todo(row):
    id, title, notes, due, priority, completed_at, created, updated = row
    return Todo(id=id, title=title, notes=notes, dueDate=due, priority=priority, completed=completed_at is not None,
                completedAt=completed_at, createdAt=created, updatedAt=updated)


def fetch(id):
    row = database.execute(f"SELECT {COLUMNS} FROM todos WHERE id = ? AND owner_id = ?", (id, owner)).fetchone()
    if row is None:
        raise ValueError(f"No todo with id {id}.")
    return todo(row)


server = MCPServer("sdk-peer", log_level="WARNING")


@server.tool()
def list_todos(status: str = "open", query: str | None = None, limit: int = 50, cursor: str | None = None) -> TodoPage:
    """List the user's todos, one page at a time."""
    where = {"open": "AND completed_at IS NULL", "completed": "AND completed_at IS NOT NULL", "all": ""}[status]
    offset = int(cursor or 0)
    rows = database.execute(
        f"""SELECT {COLUMNS} FROM todos WHERE owner_id = ? {where} AND (? IS NULL OR title LIKE '%' || ? || '%')
            ORDER BY completed_at IS NOT NULL, due_date IS NULL, due_date, created_at LIMIT ? OFFSET ?""",
        (owner, query, query, limit + 1, offset),
    ).fetchall()
    more = len(rows) > limit
    return TodoPage(todos=[todo(row) for row in rows[:limit]], nextCursor=str(offset + limit) if more else None)


@server.tool()
def get_todo(id: str) -> Todo:
    """Get one todo by its id, with all its fields."""
    return fetch(id)


@server.tool()
def create_todo(title: str, notes: str | None = None, dueDate: str | None = None, priority: str = "normal") -> Todo:
    """Create a todo for the user and return it with its new id."""
    id, stamp = "t_" + secrets.token_hex(13), now()
    database.execute(
        "INSERT INTO todos (id, owner_id, title, notes, due_date, priority, completed_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, NULL, ?, ?)",
        (id, owner, title, notes, dueDate, priority, stamp, stamp),
    )
    return fetch(id)


@server.tool()
def update_todo(id: str, title: str | None = None, priority: str | None = None) -> Todo:
    """Change fields of a todo."""
    current = fetch(id)
    database.execute("UPDATE todos SET title = ?, priority = ?, updated_at = ? WHERE id = ? AND owner_id = ?",
                     (title or current.title, priority or current.priority, now(), id, owner))
    return fetch(id)


@server.tool()
def complete_todo(id: str) -> Todo:
    """Mark a todo as done."""
    fetch(id)
    database.execute("UPDATE todos SET completed_at = coalesce(completed_at, ?), updated_at = ? WHERE id = ? AND owner_id = ?", (now(), now(), id, owner))
    return fetch(id)


@server.tool()
def delete_todo(id: str) -> Deleted:
    """Delete a todo for good and return it as it was."""
    gone = fetch(id)
    database.execute("DELETE FROM todos WHERE id = ? AND owner_id = ?", (id, owner))
    return Deleted(deleted=True, todo=gone)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONOPTIMIZE", "1")
    server.run("streamable-http", host="127.0.0.1", port=port, streamable_http_path="/", json_response=True, stateless_http=True)
