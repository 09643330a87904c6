#!/usr/bin/env python3
"""`make bench`: throughput, latency and memory of the release binary, with /health as the baseline.

Starts the real server on a loopback port with a fresh file database, provisions users and tokens
through the real OAuth flow (HTML forms, PKCE, token endpoint), and drives load with wrk from a
separate process. Bulk data for the scaling runs (todos, refresh tokens, sessions) is inserted
straight into SQLite while the server runs: that is the documented admin path for volume, the
same rows the server would have written. Writes bench/results.md.
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
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "e2e"))
from server import OAuthSession, Server  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
BINARY = os.environ.get("TODO_SERVER_BINARY", os.path.join(HERE, "..", ".build", "release", "todo-server"))
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "3"))
CONCURRENCY = [1, 16, 64]
MODERN = "2026-07-28"


def wrk(server, connections, method="GET", path="/health", body="", headers="", expect='"ok"', reject="", seconds=SECONDS):
    environment = dict(os.environ, BENCH_METHOD=method, BENCH_PATH=path, BENCH_BODY=body, BENCH_HEADERS=headers, BENCH_EXPECT=expect, BENCH_REJECT=reject)
    threads = min(connections, 2)
    output = subprocess.run(
        ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--timeout", "5s", "-s", os.path.join(HERE, "request.lua"), server.base],
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


def main():
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: run make bench, which installs it")
    server = Server(os.path.abspath(BINARY))
    database = os.path.join(server.folder, "todo.sqlite")
    rows, scaling, total_requests = [], [], 0
    try:
        print(f"server {server.base}, {os.cpu_count()} cores, {RUNS} runs of {SECONDS}s per point", flush=True)
        reader = OAuthSession(server.base, "reader@example.com")
        ids = [create(server, reader.access_token, f"Todo {i}") for i in range(20)]
        writer = OAuthSession(server.base, "writer@example.com")
        session = initialize(server, reader.access_token)
        writer_session = initialize(server, writer.access_token)

        scenarios = []
        for era in ["2026-07-28", "legacy session"]:
            def call(token, session_id, tool, arguments):
                return modern_call(token, tool, arguments) if era == "2026-07-28" else legacy_call(token, session_id, tool, arguments)

            for tool, arguments, token, sid in [
                ("list_todos", {}, reader.access_token, session),
                ("get_todo", {"id": ids[0]}, reader.access_token, session),
                ("create_todo", {"title": "Benchmark todo"}, writer.access_token, writer_session),
            ]:
                body, headers = call(token, sid, tool, arguments)
                scenarios.append((
                    f"{tool} ({era})",
                    lambda c, body=body, headers=headers: wrk(server, c, "POST", "/", body, headers, expect='"structuredContent"', reject='"isError":true'),
                ))

        # Each run of a tool follows a run of /health at the same concurrency, and the ratio compares
        # the medians of those pairs: the machine's speed drifts between minutes, not within a pair.
        health_runs = {c: [] for c in CONCURRENCY}
        tool_rows = []
        for name, run in scenarios:
            for connections in CONCURRENCY:
                pairs = [(wrk(server, connections), run(connections)) for _ in range(RUNS)]
                health_runs[connections] += [health for health, _ in pairs]
                result = summarize([tool for _, tool in pairs])
                baseline = summarize([health for health, _ in pairs])
                total_requests += result["requests_all"] + baseline["requests_all"]
                ratio = result["rps"] / baseline["rps"]
                tool_rows.append((name, connections, result, ratio))
                print(f"{name:32} c={connections:<3} {result['rps']:9.0f} req/s  p50 {result['p50_ms']:6.2f} ms  p99 {result['p99_ms']:6.2f} ms  errors {result['errors']}  ratio {ratio:.2f} (/health {baseline['rps']:.0f})", flush=True)
        for connections in CONCURRENCY:
            health = summarize(health_runs[connections])
            rows.append(("GET /health", connections, health, 1.0))
            print(f"{'GET /health':32} c={connections:<3} {health['rps']:9.0f} req/s  p50 {health['p50_ms']:6.2f} ms  p99 {health['p99_ms']:6.2f} ms  errors {health['errors']}", flush=True)
        rows += tool_rows

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

        # Keep going until a million requests have been served, then read the peak memory.
        body, headers = modern_call(reader.access_token, "get_todo", {"id": ids[1]})
        while total_requests < 1_000_000:
            result = wrk(server, 64, "POST", "/", body, headers, expect='"structuredContent"', seconds=10)
            total_requests += result["requests"]
        rss = peak_rss_mb(server.process.pid)
        print(f"peak RSS {rss:.1f} MB after {total_requests:,} requests", flush=True)
    finally:
        status = server.stop()
    write_results(rows, scaling, rss, total_requests, status)


def targets(rows, scaling, rss):
    """(target, what was measured, whether it is met) for each target of the benchmark."""
    at16 = {name: (result, ratio) for name, connections, result, ratio in rows if connections == 16 and name != "GET /health"}
    reads = {name: ratio for name, (_, ratio) in at16.items() if not name.startswith("create_todo")}
    slowest = max(at16.items(), key=lambda item: item[1][0]["p99_ms"])
    writes = max(result["rps"] for name, _, result, _ in rows if name.startswith("create_todo"))
    pages = {name: result["rps"] for name, result in scaling if name.startswith("list_todos, one page")}
    small, large = pages["list_todos, one page of 10, user with 10 todos"], pages["list_todos, one page of 10, user with 100,000 todos"]
    weakest = min(reads.items(), key=lambda item: item[1])
    return [
        ("read tools at least 50% of /health throughput at c=16", f"lowest {weakest[1]:.2f} ({weakest[0]})", weakest[1] >= 0.5),
        ("p99 under 10 ms at c=16", f"highest {slowest[1][0]['p99_ms']:.2f} ms ({slowest[0]})", slowest[1][0]["p99_ms"] < 10),
        ("create_todo at least 3,000 durable writes/s", f"{writes:.0f}/s", writes >= 3000),
        ("one page for 100,000 todos within 20% of 10 todos", f"{large / small:.2f} of the throughput", large >= 0.8 * small),
        ("peak RSS under 150 MB after a million requests", f"{rss:.1f} MB", rss < 150),
    ]


def write_results(rows, scaling, rss, total_requests, status):
    lines = [
        "# Benchmark results",
        "",
        f"Measured {datetime.date.today().isoformat()} on {os.cpu_count()} cores with `make bench`: the release binary on a loopback",
        f"port with a fresh file database, load from wrk in a separate process (as many threads as cores, at most 2),",
        f"median of {RUNS} runs of {SECONDS} s per point. Every response is checked: a tools/call counts only if it is",
        "HTTP 200 with `structuredContent` and no `isError`. LOG_LEVEL=warning. Ratio: throughput over GET /health at the",
        "same concurrency, each run of a tool paired with a run of /health just before it (the /health rows are the median",
        "of all those runs).",
        "",
        "| request | concurrency | req/s | p50 ms | p99 ms | errors | ratio to /health |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, connections, result, ratio in rows:
        lines.append(f"| {name} | {connections} | {result['rps']:.0f} | {result['p50_ms']:.2f} | {result['p99_ms']:.2f} | {result['errors']} | {ratio:.2f} |")
    lines += ["", "## How cost grows", "", "| measurement | req/s | p50 ms | p99 ms |", "|---|---:|---:|---:|"]
    for name, result in scaling:
        p50 = f"{result['p50_ms']:.2f}" if "p50_ms" in result else ""
        p99 = f"{result['p99_ms']:.2f}" if "p99_ms" in result else ""
        lines.append(f"| {name} | {result['rps']:.0f} | {p50} | {p99} |")
    lines += ["", f"Peak RSS of the server: {rss:.1f} MB after {total_requests:,} requests. Exit status on SIGTERM: {status}.", ""]
    lines += ["## Targets", "", "| target | measured | met |", "|---|---|---|"]
    lines += [f"| {target} | {measured} | {'yes' if met else '**no**'} |" for target, measured, met in targets(rows, scaling, rss)]
    lines.append("")
    with open(os.path.join(HERE, "results.md"), "w") as file:
        file.write("\n".join(lines))
    print("wrote bench/results.md")


if __name__ == "__main__":
    main()
