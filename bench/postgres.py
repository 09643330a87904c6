#!/usr/bin/env python3
"""Tool calls on PostgreSQL beside SQLite, with one and two instances (part of `make bench`).

A throw-away PostgreSQL cluster with its durable defaults (fsync and synchronous commit on, as
SQLite syncs every commit) serves two databases. In each round, for get_todo, list_todos and
create_todo at c=16 and c=64, back to back: the release server on SQLite; one instance on
PostgreSQL; two instances on one PostgreSQL database, each driven by its own wrk with half the connections (the
two throughputs are added). Every server is pinned to the first core and every wrk to the second;
PostgreSQL is not pinned. This machine has two cores, so the two instances share one: their row
shows what coordination costs, not what a second machine would add.
Writes bench/postgres.md (run.py includes it in bench/results.md), or prints it with --print.
"""

import os
import statistics
import subprocess
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "e2e"))
sys.path.insert(0, os.path.dirname(__file__))
from run import BINARY, HERE, SERVER_CPU, create, modern_call, wrk  # noqa: E402
from server import OAuthSession, Server  # noqa: E402

ROOT = os.path.join(HERE, "..")
ROUNDS = int(os.environ.get("BENCH_RUNS", "3"))
CONCURRENCY = [16, 64]


def start_cluster():
    environment = dict(os.environ, POSTGRES_DURABLE="1")
    folder, url = subprocess.run(
        [os.path.join(ROOT, "scripts", "postgres-cluster.sh"), "start"], check=True, capture_output=True, text=True, env=environment
    ).stdout.split()
    for name in ("one", "two"):
        subprocess.run(["psql", url, "-qc", f"CREATE DATABASE {name}"], check=True, capture_output=True)
    return folder, url


def serve(environment):
    settings = {"LOG_LEVEL": "warning", "MAX_TODOS_PER_USER": "10000000", **environment}
    return Server(os.path.abspath(BINARY), extra_environment=settings, prefix=("taskset", "-c", SERVER_CPU))


def cases(server):
    """get_todo and list_todos of a person with 20 todos, and create_todo of another (so that the
    reads stay the same size round after round), as wrk bodies and headers."""
    reader = OAuthSession(server.base, "reader@example.com")
    writer = OAuthSession(server.base, "writer@example.com")
    ids = [create(server, reader.access_token, f"Todo {i}") for i in range(20)]
    return {
        "get_todo": modern_call(reader.access_token, "get_todo", {"id": ids[7]}),
        "list_todos": modern_call(reader.access_token, "list_todos", {}),
        "create_todo": modern_call(writer.access_token, "create_todo", {"title": "Benchmark todo"}),
    }


def settle(url):
    """Has PostgreSQL write out what the last writes left, so that its background work does not
    fall into the next measurement (it runs on either core)."""
    subprocess.run(["psql", url, "-qc", "CHECKPOINT"], check=True, capture_output=True)


def call(servers, connections, body, headers):
    """One wrk per server, at once, with the connections split between them; the sum of their results."""
    results = [None] * len(servers)

    def run(index):
        results[index] = wrk(servers[index], connections // len(servers), "POST", "/", body, headers, expect='"structuredContent"', reject='"isError":true')

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(servers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {
        "rps": sum(result["rps"] for result in results),
        "p50_ms": max(result["p50_ms"] for result in results),
        "p99_ms": max(result["p99_ms"] for result in results),
        "errors": sum(result["errors"] for result in results),
    }


def main():
    folder, url = start_cluster()
    sqlite = serve({})
    one = serve({"DATABASE_URL": url.replace("/postgres?", "/one?")})
    two_url = url.replace("/postgres?", "/two?")
    # The two instances share one public URL (tokens name it as their audience), as behind a load balancer.
    first = serve({"DATABASE_URL": two_url})
    second = serve({"DATABASE_URL": two_url, "PUBLIC_URL": first.base})
    setups = {"SQLite, one instance": [sqlite], "PostgreSQL, one instance": [one], "PostgreSQL, two instances": [first, second]}
    runs = {}
    try:
        calls = {name: cases(servers[0]) for name, servers in setups.items()}
        # Each point runs on the three setups back to back, so that drift of the machine falls on all three alike.
        for round in range(ROUNDS):
            for tool in ("get_todo", "list_todos", "create_todo"):
                for connections in CONCURRENCY:
                    for name, servers in setups.items():
                        settle(url)
                        body, headers = calls[name][tool]
                        result = call(servers, connections, body, headers)
                        runs.setdefault((name, tool, connections), []).append(result)
                        print(f"round {round + 1} {name:26} {tool:12} c={connections:<3} {result['rps']:8.0f} req/s  p99 {result['p99_ms']:6.2f} ms"
                              f"  errors {result['errors']}", flush=True)
    finally:
        statuses = [server.stop() for servers in setups.values() for server in servers]
        subprocess.run([os.path.join(ROOT, "scripts", "postgres-cluster.sh"), "stop", folder], check=False)

    def median(key, field="rps"):
        return statistics.median(result[field] for result in runs[key])

    lines = [
        "## PostgreSQL beside SQLite",
        "",
        f"`python3 bench/postgres.py` (part of `make bench`), {ROUNDS} rounds, medians. PostgreSQL 15 on loopback with its durable",
        "defaults (fsync, synchronous commit); SQLite syncs every commit too. Servers on core 0, wrk on core 1, PostgreSQL unpinned.",
        "Two instances: one database, each instance driven by its own wrk with half the connections, throughputs added; on this",
        "two-core machine they share core 0, so the row shows the cost of coordination, not the gain of a second machine.",
        "",
        "| tool | c | SQLite req/s | PostgreSQL req/s | two instances req/s | SQLite p99 ms | PostgreSQL p99 ms | two instances p99 ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    names = list(setups)
    for tool in ("get_todo", "list_todos", "create_todo"):
        for connections in CONCURRENCY:
            rates = " | ".join(f"{median((name, tool, connections)):.0f}" for name in names)
            tails = " | ".join(f"{median((name, tool, connections), 'p99_ms'):.2f}" for name in names)
            lines.append(f"| {tool} | {connections} | {rates} | {tails} |")
    lines += [
        "",
        "The machine drifts between rounds (here every setup may run at a third of its speed in one round and full speed in",
        "the next), so the fair comparison is within a round: PostgreSQL over SQLite, and two instances over SQLite, per round.",
        "",
        "| tool | c | PostgreSQL ÷ SQLite, per round | two instances ÷ SQLite, per round |",
        "|---|---:|---|---|",
    ]
    for tool in ("get_todo", "list_todos", "create_todo"):
        for connections in CONCURRENCY:
            sqlite_runs = runs[(names[0], tool, connections)]
            single = ", ".join(f"{p['rps'] / s['rps']:.2f}" for p, s in zip(runs[(names[1], tool, connections)], sqlite_runs))
            double = ", ".join(f"{t['rps'] / s['rps']:.2f}" for t, s in zip(runs[(names[2], tool, connections)], sqlite_runs))
            lines.append(f"| {tool} | {connections} | {single} | {double} |")
    errors = sum(result["errors"] for results in runs.values() for result in results)
    lines += ["", f"Errors (non-200, or no `structuredContent`, or `isError`) over every run: {errors}. Exit statuses on SIGTERM: {statuses}.", ""]
    text = "\n".join(lines)
    if "--print" in sys.argv:
        print(text)
    with open(os.path.join(HERE, "postgres.md"), "w") as file:
        file.write(text)
    print("wrote bench/postgres.md")


if __name__ == "__main__":
    main()
