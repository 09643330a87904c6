#!/usr/bin/env python3
"""`make bench`: throughput, latency and memory of the release binary, beside its ceiling and a peer.

Three servers run side by side, each pinned to the first core while wrk runs pinned to the second:
- the ceiling: bench/Probe, bare Hummingbird on the same versions, answering `GET /hello`;
- ours: the real todo-server on a loopback port with a fresh file database, users and tokens made
  through the real OAuth flow (HTML forms, PKCE, token endpoint);
- the peer: bench/sdk_peer.py, the official MCP Python SDK serving the same six tools on SQLite.
Every case runs once per round, round after round, so drift of the machine spreads over all of
them; each point is the median of the rounds. Bulk data for the scaling runs (todos, refresh
tokens, sessions) is inserted straight into SQLite while the server runs: the same rows the server
would have written. Writes bench/results.md, including bench/streams.md (tool calls with 1,000
notification streams open, from bench/streams.py, which `make bench` runs first), bench/postgres.md
(PostgreSQL beside SQLite, with one and two instances, from bench/postgres.py, run before too) and
bench/profile.md (the instruction counts and where they go, from bench/callgrind.py).
"""

import datetime
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "e2e"))
from server import OAuthSession, Server, free_port  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
BINARY = os.environ.get("TODO_SERVER_BINARY", os.path.join(HERE, "..", ".build", "release", "todo-server"))
PROBE = os.path.join(HERE, "Probe", ".build", "release", "Probe")
PYTHON = os.environ.get("BENCH_PYTHON", os.path.join(HERE, "..", ".venv-e2e", "bin", "python"))
SERVER_CPU, LOAD_CPU = "0", "1"
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "3"))
CONCURRENCY = [1, 16, 64]
MODERN = "2026-07-28"


def wrk(server, connections, method="GET", path="/health", body="", headers="", expect='"ok"', reject="", seconds=SECONDS):
    environment = dict(os.environ, BENCH_METHOD=method, BENCH_PATH=path, BENCH_BODY=body, BENCH_HEADERS=headers, BENCH_EXPECT=expect, BENCH_REJECT=reject)
    output = subprocess.run(
        ["taskset", "-c", LOAD_CPU, "wrk", "-t", "1", "-c", str(connections), "-d", f"{seconds}s", "--timeout", "5s", "-s", os.path.join(HERE, "request.lua"), server.base],
        env=environment, capture_output=True, text=True, check=True,
    ).stdout
    result = json.loads(output.strip().splitlines()[-1])
    result["rps"] = result["good"] / result["seconds"]
    return result


def summarize(results):
    """The run of median throughput, with the errors and requests of all the runs."""
    middle = sorted(results, key=lambda r: r["rps"])[len(results) // 2]
    return dict(middle, errors=sum(r["errors"] for r in results), requests_all=sum(r["requests"] for r in results))


def median_of_runs(run):
    return summarize([run() for _ in range(RUNS)])


def modern_call(token, tool, arguments):
    body = json.dumps({
        "jsonrpc": "2.0", "id": 1, "method": "tools/call",
        "params": {"name": tool, "arguments": arguments, "_meta": {"io.modelcontextprotocol/protocolVersion": MODERN, "io.modelcontextprotocol/clientCapabilities": {}}},
    })
    headers = f"Authorization: Bearer {token}|Content-Type: application/json|Accept: application/json, text/event-stream|MCP-Protocol-Version: {MODERN}|Mcp-Method: tools/call|Mcp-Name: {tool}"
    return body, headers


def legacy_call(token, session, tool, arguments):
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": tool, "arguments": arguments}})
    headers = f"Authorization: Bearer {token}|Content-Type: application/json|Accept: application/json, text/event-stream|MCP-Protocol-Version: 2025-11-25|Mcp-Session-Id: {session}"
    return body, headers


def post(server, token, body, extra=None):
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
    headers.update(extra or {})
    request = urllib.request.Request(server.base + "/", data=body.encode(), headers=headers, method="POST")
    with urllib.request.urlopen(request) as response:
        return response.headers, json.loads(response.read() or b"null")


def initialize(server, token):
    body = json.dumps({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "bench", "version": "1"}}})
    headers, _ = post(server, token, body)
    return headers["Mcp-Session-Id"]


def create(server, token, title):
    body, headers = modern_call(token, "create_todo", {"title": title})
    _, answer = post(server, token, body, dict(h.split(": ", 1) for h in headers.split("|")))
    return answer["result"]["structuredContent"]["id"]


def seed_todos(database, email, count):
    """Inserts `count` todos for the user with `email`, as the server would have stored them."""
    with sqlite3.connect(database, timeout=30) as db:
        (user,) = db.execute("SELECT user_id FROM user_emails WHERE email = ?", (email,)).fetchone()
        now = int(time.time() * 1000)
        db.execute(
            """WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
               INSERT INTO todos (id, owner_id, title, notes, due_date, priority, completed_at, created_at, updated_at)
               SELECT 't_' || substr(lower(hex(randomblob(16))), 1, 26), ?, 'Seeded todo ' || i, NULL,
                      CASE WHEN i % 3 = 0 THEN NULL ELSE printf('2027-%02d-%02d', 1 + i % 12, 1 + i % 28) END,
                      'normal', CASE WHEN i % 4 = 0 THEN ? ELSE NULL END, ? + i, ? + i FROM n""",
            (count, user, now, now, now),
        )


def seed_refresh_tokens(database, count):
    with sqlite3.connect(database, timeout=30) as db:
        (client, user) = db.execute("SELECT client_id, user_id FROM refresh_tokens LIMIT 1").fetchone()
        now = int(time.time() * 1000)
        db.execute(
            """WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
               INSERT INTO refresh_tokens (token_hash, family_id, client_id, user_id, resource, scopes, issued_at, expires_at)
               SELECT lower(hex(randomblob(32))), 'f_seed' || i, ?, ?, 'r', 'todos:read todos:write', ?, ? FROM n""",
            (count, client, user, now, now + 86_400_000),
        )


def seed_sessions(database, count):
    with sqlite3.connect(database, timeout=30) as db:
        (user,) = db.execute("SELECT user_id FROM mcp_sessions LIMIT 1").fetchone()
        now = int(time.time() * 1000)
        db.execute(
            """WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
               INSERT INTO mcp_sessions (id, user_id, protocol_version, created_at, last_used_at)
               SELECT 'seed-' || lower(hex(randomblob(16))), ?, '2025-11-25', ?, ? FROM n""",
            (count, user, now, now),
        )


def refresh_rate(session, rounds=25):
    """Sequential refresh-token rotations per second (each uses the token the last one issued).

    Few rounds: the token endpoint allows 60 requests a minute per grant type and client address."""
    start = time.perf_counter()
    for _ in range(rounds):
        answer = session.token(grant_type="refresh_token", refresh_token=session.refresh_token)
        assert answer.status == 200, answer.body
        session.refresh_token = answer.json()["refresh_token"]
    return rounds / (time.perf_counter() - start)


def peak_rss_mb(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


class Pinned:
    """A helper server (the probe or the peer) on a loopback port, pinned like ours; up once `ready` answers."""

    def __init__(self, name, command, ready, method="GET"):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = open(os.path.join(HERE, "out", f"{name}.log"), "w")
        self.process = subprocess.Popen(["taskset", "-c", SERVER_CPU, *[part.format(port=self.port) for part in command]], stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while time.time() < deadline and self.process.poll() is None:
            try:
                urllib.request.urlopen(urllib.request.Request(self.base + ready, method=method), timeout=1).close()
                return
            except urllib.error.HTTPError:
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"{command} did not start")

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        finally:
            if self.process.poll() is None:
                self.process.kill()
            self.log.close()


def tool_case(target, body, headers):
    return lambda c: wrk(target, c, "POST", "/", body, headers, expect='"structuredContent"', reject='"isError":true')


def main():
    for tool in ["wrk", "taskset"]:
        if not shutil.which(tool):
            sys.exit(f"{tool} is missing: run make bench, which installs it")
    os.makedirs(os.path.join(HERE, "out"), exist_ok=True)
    pin = ("taskset", "-c", SERVER_CPU)
    # Writes are measured, not the limit per person: the writer keeps far more than the default 10,000.
    server = Server(os.path.abspath(BINARY), extra_environment={"LOG_LEVEL": os.environ.get("LOG_LEVEL", "warning"), "MAX_TODOS_PER_USER": "10000000"}, prefix=pin)
    database = os.path.join(server.folder, "todo.sqlite")
    probe = Pinned("probe", [PROBE, "{port}"], "/hello")
    probe_on_nio = Pinned("probe-nio", [PROBE, "{port}", "--nio-executor"], "/hello")
    peers = [Pinned(f"peer-{who}", [PYTHON, os.path.join(HERE, "sdk_peer.py"), "{port}", os.path.join(server.folder, f"peer-{who}.sqlite"), who], "/", method="POST") for who in ["reader", "writer"]]
    rows, scaling, total_requests = [], [], 0
    try:
        print(f"ours {server.base}, probe {probe.base}, peer {peers[0].base}; {RUNS} rounds of {SECONDS}s per point", flush=True)
        reader = OAuthSession(server.base, "reader@example.com")
        ids = [create(server, reader.access_token, f"Todo {i}") for i in range(20)]
        writer = OAuthSession(server.base, "writer@example.com")
        session = initialize(server, reader.access_token)
        writer_session = initialize(server, writer.access_token)
        peer_ids = [create(peers[0], "none", f"Todo {i}") for i in range(20)]

        cases = [
            ("bare Hummingbird GET /hello (ceiling)", lambda c: wrk(probe, c, path="/hello", expect="hello")),
            ("bare Hummingbird GET /hello, concurrency on NIO's loops", lambda c: wrk(probe_on_nio, c, path="/hello", expect="hello")),
            ("GET /health", lambda c: wrk(server, c)),
            ("GET /.well-known/oauth-protected-resource", lambda c: wrk(server, c, path="/.well-known/oauth-protected-resource", expect='"resource"')),
        ]
        for tool, arguments, peer_arguments, token, sid, peer in [
            ("list_todos", {}, {}, reader.access_token, session, peers[0]),
            ("get_todo", {"id": ids[0]}, {"id": peer_ids[0]}, reader.access_token, session, peers[0]),
            ("create_todo", {"title": "Benchmark todo"}, {"title": "Benchmark todo"}, writer.access_token, writer_session, peers[1]),
        ]:
            cases.append((f"{tool} (2026-07-28)", tool_case(server, *modern_call(token, tool, arguments))))
            cases.append((f"{tool} (legacy session)", tool_case(server, *legacy_call(token, sid, tool, arguments))))
            cases.append((f"{tool} (Python SDK peer)", tool_case(peer, *modern_call("none", tool, peer_arguments))))

        runs = {(name, c): [] for name, _ in cases for c in CONCURRENCY}
        for round in range(RUNS):
            for connections in CONCURRENCY:
                for name, run in cases:
                    result = run(connections)
                    runs[(name, connections)].append(result)
                    total_requests += result["requests"] if not name.endswith("peer)") and not name.startswith("bare") else 0
                    print(f"round {round + 1} c={connections:<3} {name:44} {result['rps']:9.0f} req/s  p50 {result['p50_ms']:6.2f} ms  p99 {result['p99_ms']:7.2f} ms  errors {result['errors']}", flush=True)
        for connections in CONCURRENCY:
            ceiling = summarize(runs[(cases[0][0], connections)])["rps"]
            for name, _ in cases:
                result = summarize(runs[(name, connections)])
                peer_name = name.split(" (")[0] + " (Python SDK peer)"
                peer = summarize(runs[(peer_name, connections)])["rps"] if (peer_name, connections) in runs and peer_name != name else None
                rows.append((name, connections, result, result["rps"] / ceiling, result["rps"] / peer if peer else None))

        # How one page of list_todos grows with the size of the list.
        for count in [10, 1_000, 100_000]:
            email = f"scale{count}@example.com"
            user = OAuthSession(server.base, email)
            seed_todos(database, email, count)
            body, headers = modern_call(user.access_token, "list_todos", {"status": "all", "limit": 10})
            result = median_of_runs(lambda: wrk(server, 16, "POST", "/", body, headers, expect='"structuredContent"', reject='"isError":true'))
            total_requests += result["requests_all"]
            scaling.append((f"list_todos, one page of 10, user with {count:,} todos", result))
            print(f"list_todos with {count:>7,} todos  {result['rps']:9.0f} req/s  p50 {result['p50_ms']:6.2f} ms  p99 {result['p99_ms']:6.2f} ms", flush=True)

        before = refresh_rate(reader)
        seed_refresh_tokens(database, 100_000)
        after = refresh_rate(reader)
        scaling.append(("refresh-token rotations/s (sequential), few stored", {"rps": before}))
        scaling.append(("refresh-token rotations/s (sequential), 100,000 stored", {"rps": after}))
        print(f"refresh rotations/s: {before:.0f} with few tokens, {after:.0f} with 100,000 stored", flush=True)

        body, headers = legacy_call(reader.access_token, session, "list_todos", {})
        few = median_of_runs(lambda: wrk(server, 16, "POST", "/", body, headers, expect='"structuredContent"'))
        seed_sessions(database, 10_000)
        many = median_of_runs(lambda: wrk(server, 16, "POST", "/", body, headers, expect='"structuredContent"'))
        total_requests += few["requests_all"] + many["requests_all"]
        scaling.append(("list_todos in a legacy session, 2 sessions stored", few))
        scaling.append(("list_todos in a legacy session, 10,000 sessions stored", many))
        print(f"legacy list_todos: {few['rps']:.0f} req/s with 2 sessions, {many['rps']:.0f} with 10,000", flush=True)

        # Keep going until our server has served a million requests, then read its peak memory.
        body, headers = modern_call(reader.access_token, "get_todo", {"id": ids[1]})
        while total_requests < 1_000_000:
            result = wrk(server, 64, "POST", "/", body, headers, expect='"structuredContent"', seconds=10)
            total_requests += result["requests"]
        rss = peak_rss_mb(server.process.pid)
        print(f"peak RSS {rss:.1f} MB after {total_requests:,} requests", flush=True)
    finally:
        status = server.stop()
        probe.stop()
        probe_on_nio.stop()
        for peer in peers:
            peer.stop()
    write_results(rows, scaling, rss, total_requests, status)


def targets(rows, scaling, rss):
    """(target, what was measured, whether it is met) for each target of the benchmark, at c=16."""
    at16 = {name: (result, share, peer) for name, connections, result, share, peer in rows if connections == 16}
    checks = []
    share = at16["GET /health"][1]
    checks.append(("GET /health at least 60% of the ceiling", f"{share:.0%}", share >= 0.6))
    for tool, least in [("get_todo", 0.40), ("list_todos", 0.25), ("create_todo", 0.25)]:
        result, share, peer = at16[f"{tool} (2026-07-28)"]
        checks.append((f"{tool} at least {least:.0%} of the ceiling", f"{share:.0%}", share >= least))
        checks.append((f"{tool} at least 7× the Python SDK peer", f"{peer:.1f}×", peer >= 7))
        legacy = at16[f"{tool} (legacy session)"][0]["rps"] / result["rps"]
        checks.append((f"{tool} in a legacy session within 10% of 2026-07-28", f"{legacy:.2f} of the throughput", legacy >= 0.9))
    reads = [(name, result["p99_ms"]) for name, (result, _, _) in at16.items() if name.split(" (")[0] in ("list_todos", "get_todo", "GET /health") and "peer" not in name]
    slowest = max(reads, key=lambda read: read[1])
    checks.append(("p99 of every read under 5 ms", f"highest {slowest[1]:.2f} ms ({slowest[0]})", slowest[1] < 5))
    pages = {name: result["rps"] for name, result in scaling if name.startswith("list_todos, one page")}
    small, large = pages["list_todos, one page of 10, user with 10 todos"], pages["list_todos, one page of 10, user with 100,000 todos"]
    checks.append(("one page for 100,000 todos within 20% of 10 todos", f"{large / small:.2f} of the throughput", large >= 0.8 * small))
    checks.append(("peak RSS under 100 MB after a million requests", f"{rss:.1f} MB", rss < 100))
    return checks


def write_results(rows, scaling, rss, total_requests, status):
    lines = [
        "# Benchmark results",
        "",
        f"Measured {datetime.date.today().isoformat()} with `make bench` on {os.cpu_count()} cores: each server pinned to core {SERVER_CPU},",
        f"wrk (one thread) pinned to core {LOAD_CPU}, all on loopback. Every case runs once per round, {RUNS} rounds of {SECONDS} s,",
        "and each point is the median round. Every response is checked: a tools/call counts only if it is HTTP 200 with",
        "`structuredContent` and no `isError`. Our server: the release binary, a fresh file database, LOG_LEVEL=warning.",
        "The ceiling: bench/Probe, bare Hummingbird 2.28.1 answering `GET /hello` with its defaults; beside it, the same probe",
        "with Swift concurrency on NIO's event loops, as todo-server runs. The peer: bench/sdk_peer.py, the",
        "official MCP Python SDK (mcp 2.3.0, stateless JSON mode, uvicorn) serving the same tools on SQLite, with no token check.",
        "Share: throughput over the ceiling's at the same concurrency; × peer: over the peer's on the same tool.",
        "",
        "| request | c | req/s | p50 ms | p99 ms | errors | share of ceiling | × peer |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, connections, result, share, peer in sorted(rows, key=lambda row: (row[1], [r[0] for r in rows].index(row[0]))):
        multiple = f"{peer:.1f}" if peer else ""
        lines.append(f"| {name} | {connections} | {result['rps']:.0f} | {result['p50_ms']:.2f} | {result['p99_ms']:.2f} | {result['errors']} | {share:.0%} | {multiple} |")
    lines += ["", "## How cost grows", "", "| measurement | req/s | p50 ms | p99 ms |", "|---|---:|---:|---:|"]
    for name, result in scaling:
        p50 = f"{result['p50_ms']:.2f}" if "p50_ms" in result else ""
        p99 = f"{result['p99_ms']:.2f}" if "p99_ms" in result else ""
        lines.append(f"| {name} | {result['rps']:.0f} | {p50} | {p99} |")
    lines += ["", f"Peak RSS of our server: {rss:.1f} MB after {total_requests:,} requests. Exit status on SIGTERM: {status}.", ""]
    lines += ["## Targets (c=16)", "", "| target | measured | met |", "|---|---|---|"]
    lines += [f"| {target} | {measured} | {'yes' if met else '**no**'} |" for target, measured, met in targets(rows, scaling, rss)]
    lines.append("")
    for part in ("streams.md", "postgres.md"):
        if os.path.exists(os.path.join(HERE, part)):
            with open(os.path.join(HERE, part)) as text:
                lines += ["", text.read().strip(), ""]
    with open(os.path.join(HERE, "profile.md")) as profile:
        lines += ["", profile.read().strip(), ""]
    with open(os.path.join(HERE, "results.md"), "w") as file:
        file.write("\n".join(lines))
    print("wrote bench/results.md")


if __name__ == "__main__":
    main()
