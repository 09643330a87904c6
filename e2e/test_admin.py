"""The admin commands of the real binary against a real database file, with a server running on it."""

import json
import os
import sqlite3
import subprocess
import threading
import time

from server import Http, OAuthSession, Server

BINARY = os.path.abspath(os.environ.get("TODO_SERVER_BINARY", os.path.join(os.path.dirname(__file__), "..", ".build", "debug", "todo-server")))


def admin(server, *arguments, database=None):
    """Runs `todo-server ARGUMENTS` on the server's database; returns (status, stdout, stderr)."""
    environment = dict(os.environ, DATABASE_PATH=database or server.database, PUBLIC_URL=server.base, LOG_LEVEL="warning")
    result = subprocess.run([BINARY, *arguments], env=environment, cwd=server.folder, capture_output=True, text=True, timeout=60)
    return result.returncode, result.stdout, result.stderr


def call(server, token, name, arguments):
    """A 2026-07-28 tools/call; returns (HTTP status, result or None)."""
    meta = {"io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {},
            "io.modelcontextprotocol/clientInfo": {"name": "admin-e2e", "version": "1"}}
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": name, "arguments": arguments, "_meta": meta}}).encode()
    answer = Http(server.base).request("POST", "/", body, {
        "Authorization": f"Bearer {token}", "Content-Type": "application/json", "Accept": "application/json, text/event-stream",
        "MCP-Protocol-Version": "2026-07-28", "Mcp-Method": "tools/call", "Mcp-Name": name,
    })
    return answer.status, (answer.json().get("result") if answer.status == 200 else None)


def start(database=None):
    server = Server(BINARY, extra_environment={"DATABASE_PATH": database} if database else None)
    server.database = database or os.path.join(server.folder, "todo.sqlite")
    return server


def test_admin_commands_on_a_live_database(tmp_path):
    server = start()
    try:
        session = OAuthSession(server.base, "admin@example.com")
        for index in range(3):
            assert call(server, session.access_token, "create_todo", {"title": f"todo {index}"})[0] == 200

        status, out, _ = admin(server, "users")
        assert status == 0 and "admin@example.com" in out and "1 user." in out
        line = next(row for row in out.splitlines() if row.startswith("admin@example.com"))
        assert line.split()[1:3] == ["3", "1"], line
        status, out, _ = admin(server, "grants", "--user", "Admin@Example.com")
        assert status == 0 and session.client_id in out and "signed in" in out

        # Bad input: one clear line on standard error and a non-zero exit.
        for arguments in [("grants", "--user", "nobody@example.com"), ("revoke", "--user", "admin@example.com", "--client", "c_nope"),
                          ("backup", server.database), ("restore", str(tmp_path / "missing.sqlite"))]:
            status, out, err = admin(server, *arguments)
            assert status != 0 and err.startswith("todo-server: ") and len(err.strip().splitlines()) == 1, (arguments, err)

        # A backup while writes go on.
        stop = threading.Event()
        written = []

        def keep_writing():
            while not stop.is_set():
                if call(server, session.access_token, "create_todo", {"title": f"load {len(written)}"})[0] == 200:
                    written.append(1)

        writer = threading.Thread(target=keep_writing)
        writer.start()
        time.sleep(0.3)
        backup = str(tmp_path / "backup.sqlite")
        status, out, err = admin(server, "backup", backup)
        time.sleep(0.3)
        stop.set()
        writer.join()
        assert status == 0 and "Backed up" in out, err
        with sqlite3.connect(backup) as copy:
            assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            backed_up = copy.execute("SELECT count(*) FROM todos").fetchone()[0]
        assert 3 <= backed_up < 3 + len(written) + 1 and len(written) > 0, (backed_up, len(written))

        status, _, err = admin(server, "restore", backup)
        assert status == 1 and "a server is running" in err

        # A new signing key: tokens signed before stay valid, tokens signed after use it.
        status, out, _ = admin(server, "keys", "rotate")
        assert status == 0 and "Added signing key" in out
        new_key = out.split("Added signing key ")[1].split(";")[0]
        old_key = session.access_token.split(".")[1]
        deadline = time.time() + 10
        while time.time() < deadline:
            refreshed = session.token(grant_type="refresh_token", refresh_token=session.refresh_token).json()
            session.refresh_token = refreshed["refresh_token"]
            if refreshed["access_token"].split(".")[1] == new_key:
                break
            time.sleep(0.5)
        assert refreshed["access_token"].split(".")[1] == new_key != old_key
        assert call(server, session.access_token, "list_todos", {})[0] == 200, "a token of the older key"

        # Revoke: the running server refuses the access token within seconds.
        status, out, _ = admin(server, "revoke", "--user", "admin@example.com")
        assert status == 0 and "Disconnected every app" in out
        deadline = time.time() + 10
        while time.time() < deadline and call(server, refreshed["access_token"], "list_todos", {})[0] != 401:
            time.sleep(0.2)
        assert call(server, refreshed["access_token"], "list_todos", {})[0] == 401
        assert session.token(grant_type="refresh_token", refresh_token=session.refresh_token).status == 400
    finally:
        assert server.stop() == 0

    # Stopped: restore brings back exactly what the backup held.
    status, out, err = admin(server, "restore", backup)
    assert status == 0 and "Restored" in out, err
    again = start(server.database)
    try:
        status, out, _ = admin(again, "users")
        line = next(row for row in out.splitlines() if row.startswith("admin@example.com"))
        assert line.split()[1] == str(backed_up)
    finally:
        assert again.stop() == 0


def test_a_second_server_on_the_same_database_is_refused():
    first = start()
    try:
        environment = dict(os.environ, DATABASE_PATH=first.database, PORT=str(first.port + 1 if first.port < 65535 else first.port - 1), LOG_LEVEL="warning")
        second = subprocess.run([BINARY, "serve"], env=environment, cwd=first.folder, capture_output=True, text=True, timeout=30)
        assert second.returncode == 1 and "another server is running" in second.stderr, second.stderr
        status, _, err = admin(first, "reset", "--yes")
        assert status == 1 and "a server is running" in err
    finally:
        assert first.stop() == 0
