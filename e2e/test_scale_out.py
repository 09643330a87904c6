"""Two instances on one PostgreSQL behind Caddy (round robin): what one instance does, the other
knows. The cluster is a throw-away one from scripts/postgres-cluster.sh; the delays measured are
printed and written to e2e/out/scale-out.json."""

import asyncio
import json
import os
import socket
import subprocess
import time
import urllib.parse

import pytest

from proxy import Caddy
from server import MODERN_META, Http, OAuthSession, Server, call, free_port, mcp

BINARY = os.path.abspath(os.environ.get("TODO_SERVER_BINARY", os.path.join(os.path.dirname(__file__), "..", ".build", "debug", "todo-server")))
ROOT = os.path.join(os.path.dirname(__file__), "..")
DELAYS = {}


class ScaledOut:
    """What clients see (the proxy's https URL and its certificate authority) and the two instances."""

    def __init__(self):
        self.cluster, url = subprocess.run(
            [os.path.join(ROOT, "scripts", "postgres-cluster.sh"), "start"], check=True, capture_output=True, text=True
        ).stdout.split()
        try:
            subprocess.run(["psql", url, "-qc", "CREATE DATABASE todo"], check=True, capture_output=True)
            self.database_url = url.replace("/postgres?", "/todo?")
            port = free_port()
            self.base = f"https://localhost:{port}"
            self.mcp_url = self.base + "/"
            environment = {"DATABASE_URL": self.database_url, "PUBLIC_URL": self.base, "TRUSTED_PROXIES": "127.0.0.1", "DEMO_MODE": "true"}
            self.a = Server(BINARY, extra_environment=environment)
            self.b = Server(BINARY, extra_environment=environment)
            self.caddy = Caddy(port, [self.a.port, self.b.port])
            self.ssl_context = self.caddy.context
        except Exception:
            self.stop()
            raise

    def stop(self):
        statuses = []
        for name in ("caddy", "a", "b"):
            if hasattr(self, name):
                statuses.append(getattr(self, name).stop())
        subprocess.run([os.path.join(ROOT, "scripts", "postgres-cluster.sh"), "stop", self.cluster], check=False)
        return statuses


@pytest.fixture(scope="module")
def scaled():
    running = ScaledOut()
    yield running
    statuses = running.stop()
    assert statuses[1:] == [0, 0], f"the instances exited with {statuses[1:]} on SIGTERM"
    os.makedirs(os.path.join(ROOT, "e2e", "out"), exist_ok=True)
    with open(os.path.join(ROOT, "e2e", "out", "scale-out.json"), "w") as handle:
        json.dump(DELAYS, handle, indent=2)


def until(predicate, timeout=5.0):
    """Polls `predicate` until it holds; returns the seconds it took (fails after `timeout`)."""
    started = time.monotonic()
    while not predicate():
        if time.monotonic() - started > timeout:
            raise AssertionError("did not happen within %.1f s" % timeout)
        time.sleep(0.01)
    return time.monotonic() - started


@pytest.mark.parametrize(("mode", "expected"), [("auto", "2026-07-28"), ("legacy", "2025-11-25")])
def test_sdk_client_through_two_instances(scaled, mode, expected):
    """Discovery, sign-in and every tool through the proxy, each request on either instance."""
    from test_python_sdk import exercise_every_tool

    assert asyncio.run(exercise_every_tool(scaled, f"scaled-{mode}@example.com", mode)) == expected
    # Both instances served the client.
    served = [sum(1 for line in open(instance.log_path) if "POST" in line) for instance in (scaled.a, scaled.b)]
    assert all(count > 0 for count in served), served


def test_refresh_on_one_instance_then_the_old_token_replayed_on_the_other_is_caught(scaled):
    session = OAuthSession(scaled.base, "replay@example.com", context=scaled.ssl_context)
    a, b = Http(scaled.a.base), Http(scaled.b.base)

    def refresh(http, token):
        return http.form("/oauth/token", [("grant_type", "refresh_token"), ("refresh_token", token), ("client_id", session.client_id)])

    first = refresh(a, session.refresh_token)
    assert first.status == 200, first.body
    second = refresh(a, first.json()["refresh_token"])  # the client went on: the first token's successor is used
    assert second.status == 200, second.body
    replay = refresh(b, session.refresh_token)
    assert replay.status == 400 and replay.json()["error"] == "invalid_grant", replay.body
    # The whole family is revoked: the newest token fails too, on either instance.
    for http in (a, b):
        assert refresh(http, second.json()["refresh_token"]).status == 400


def test_an_access_token_revoked_on_one_instance_is_refused_by_the_other_within_a_second(scaled):
    session = OAuthSession(scaled.base, "revoked@example.com", context=scaled.ssl_context)
    assert call(scaled.b, session.access_token, "list_todos", {})[0] == 200
    revoked = Http(scaled.a.base).form(
        "/oauth/revoke", [("token", session.access_token), ("token_type_hint", "access_token"), ("client_id", session.client_id)]
    )
    assert revoked.status == 200, revoked.body
    delay = until(lambda: call(scaled.b, session.access_token, "list_todos", {})[0] == 401, timeout=1.0)
    DELAYS["access token revoked on A, refused by B (s)"] = round(delay, 4)
    print(f"revocation reached the other instance in {delay * 1000:.0f} ms")


def test_a_legacy_session_started_on_one_instance_works_on_the_other_and_ends_everywhere(scaled):
    token = OAuthSession(scaled.base, "legacy-both@example.com", context=scaled.ssl_context).access_token
    status, headers, _ = mcp(
        scaled.a, token, "initialize", {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "e2e", "version": "1"}}, era=None
    )
    assert status == 200
    session = {key.lower(): value for key, value in headers.items()}["mcp-session-id"]
    for instance in (scaled.a, scaled.b):  # each instance now holds it (the one that made it caches it)
        status, _, body = mcp(instance, token, "tools/list", session=session, era="2025-11-25")
        assert status == 200 and len(body["result"]["tools"]) == 8
    ended = Http(scaled.b.base).request("DELETE", "/", headers={"Authorization": f"Bearer {token}", "Mcp-Session-Id": session, "MCP-Protocol-Version": "2025-11-25"})
    assert ended.status in (200, 204), ended.body
    delay = until(lambda: mcp(scaled.a, token, "tools/list", session=session, era="2025-11-25")[0] == 404, timeout=1.0)
    DELAYS["legacy session ended on B, refused by A (s)"] = round(delay, 4)


def test_a_subscription_on_one_instance_hears_a_write_made_through_the_other(scaled):
    token = OAuthSession(scaled.base, "listen-both@example.com", context=scaled.ssl_context).access_token
    body = json.dumps({
        "jsonrpc": "2.0", "id": 7, "method": "subscriptions/listen",
        "params": {"notifications": {"resourceSubscriptions": ["todo://views/open"]}, "_meta": MODERN_META},
    }).encode()
    stream = socket.create_connection(("127.0.0.1", scaled.b.port), timeout=10)
    stream.sendall((
        f"POST / HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\n"
        f"Accept: text/event-stream\r\nMCP-Protocol-Version: 2026-07-28\r\nMcp-Method: subscriptions/listen\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body)
    received = b""
    while b"subscriptions/acknowledged" not in received and b"\n\n" not in received.split(b"\r\n\r\n", 1)[-1]:
        received += stream.recv(65536)
    assert received.startswith(b"HTTP/1.1 200"), received[:300]
    delays = []
    for attempt in range(5):
        received = b""
        started = time.monotonic()
        status, _, answer = call(scaled.a, token, "create_todo", {"title": f"Written through A {attempt}"})
        assert status == 200 and not answer["result"].get("isError"), answer
        while b"notifications/resources/updated" not in received:
            chunk = stream.recv(65536)
            assert chunk, "the stream ended"
            received += chunk
        delays.append(time.monotonic() - started)
        assert b"todo://views/open" in received
    stream.close()
    delays.sort()
    DELAYS["write on A heard by a listen stream on B, median (s)"] = round(delays[len(delays) // 2], 4)
    DELAYS["write on A heard by a listen stream on B, max (s)"] = round(delays[-1], 4)
    print(f"cross-instance notification: median {delays[len(delays) // 2] * 1000:.1f} ms, max {delays[-1] * 1000:.1f} ms")
    assert delays[-1] < 1.0, delays


def test_a_client_id_postgresql_cannot_hold_is_an_unknown_client_not_a_server_error(scaled):
    """A NUL can be sent in any parameter but never stored in PostgreSQL text: it must be refused as
    what it is (no such client), not fail the database query."""
    http = Http(scaled.a.base)
    query = urllib.parse.urlencode({
        "response_type": "code", "client_id": "c_\x00x", "redirect_uri": "http://127.0.0.1:9/cb", "state": "s",
        "code_challenge": "a" * 43, "code_challenge_method": "S256", "resource": scaled.mcp_url,
    })
    assert http.request("GET", "/oauth/authorize?" + query).status == 400
    for grant in ("authorization_code", "refresh_token"):
        answer = http.form("/oauth/token", [("grant_type", grant), ("client_id", "c_\x00x"), ("code", "x"), ("refresh_token", "r"),
                                            ("redirect_uri", "http://127.0.0.1:9/cb"), ("code_verifier", "v" * 43)])
        assert answer.status == 401 and answer.json()["error"] == "invalid_client", answer.body


def test_copy_moves_an_sqlite_database_into_postgresql(scaled, tmp_path):
    """`todo-server copy --to`: a person's todos and sign-in survive the move; a second copy is refused."""
    single = Server(BINARY, extra_environment={"DEMO_MODE": "true"})
    try:
        session = OAuthSession(single.base, "mover@example.com")
        status, _, answer = call(single, session.access_token, "create_todo", {"title": "Moved with me"})
        assert status == 200, answer
    finally:
        assert single.stop() == 0
    database_path = os.path.join(single.folder, "todo.sqlite")
    target = scaled.database_url.replace("/todo?", "/moved?")
    subprocess.run(["psql", scaled.database_url.replace("/todo?", "/postgres?"), "-qc", "CREATE DATABASE moved"], check=True, capture_output=True)
    environment = dict(os.environ, DATABASE_PATH=database_path)
    environment.pop("DATABASE_URL", None)
    copied = subprocess.run([BINARY, "copy", "--to", target], env=environment, capture_output=True, text=True, cwd=single.folder)
    assert copied.returncode == 0, copied.stderr
    assert "todos: 1" in copied.stdout
    again = subprocess.run([BINARY, "copy", "--to", target], env=environment, capture_output=True, text=True, cwd=single.folder)
    assert again.returncode == 1 and "not empty" in again.stderr
    # A server on the copy accepts the access token issued before the move and shows the todo.
    moved = Server(BINARY, extra_environment={"DATABASE_URL": target, "PUBLIC_URL": single.base, "DEMO_MODE": "true"})
    try:
        status, _, answer = call(moved, session.access_token, "list_todos", {})
        assert status == 200 and [todo["title"] for todo in answer["result"]["structuredContent"]["todos"]] == ["Moved with me"]
    finally:
        assert moved.stop() == 0
