#!/usr/bin/env python3
"""Tool calls while 1,000 `subscriptions/listen` streams are open (part of `make bench`).

The release server runs pinned to the first core; wrk and a stream holder (asyncio, one process)
share the second. In each round: get_todo and create_todo at c=16 with no stream open; then the
holder opens 1,000 listen streams of another person (list changes and `todo://views/open`), and the
same two cases run again; then create_todo by the listening person, so that every write is sent to
all 1,000 streams (the fan-out case, which the holder reads and counts); then the streams close.
Writes bench/streams.md (run.py includes it in bench/results.md), or prints it with --print.
"""

import asyncio
import json
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "e2e"))
sys.path.insert(0, os.path.dirname(__file__))
from run import BINARY, HERE, LOAD_CPU, SERVER_CPU, create, modern_call, tool_case  # noqa: E402
from server import OAuthSession, Server  # noqa: E402

STREAMS = int(os.environ.get("BENCH_STREAMS", "1000"))
ROUNDS = int(os.environ.get("BENCH_RUNS", "3"))


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


async def hold(port: int, token: str, count: int):
    """Opens `count` listen streams, says `ready` on stdout, reads them until stdin closes, then
    says how many notifications arrived."""
    body = json.dumps({
        "jsonrpc": "2.0", "id": 1, "method": "subscriptions/listen",
        "params": {
            "notifications": {"resourcesListChanged": True, "resourceSubscriptions": ["todo://views/open"]},
            "_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {}},
        },
    }).encode()
    request = (
        f"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\n"
        f"Accept: text/event-stream\r\nMCP-Protocol-Version: 2026-07-28\r\nMcp-Method: subscriptions/listen\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    events = 0
    connections = []

    async def open_one():
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(request)
        received = b""
        while b"notifications/subscriptions/acknowledged" not in received:
            chunk = await reader.read(65536)
            if not chunk:
                raise RuntimeError(f"stream refused: {received[:300]!r}")
            received += chunk
        connections.append((reader, writer))

    for start in range(0, count, 100):
        await asyncio.gather(*(open_one() for _ in range(start, min(start + 100, count))))
    print(f"ready {len(connections)}", flush=True)

    async def drain(reader):
        nonlocal events
        while chunk := await reader.read(65536):
            events += chunk.count(b"data: ")

    drains = [asyncio.create_task(drain(reader)) for reader, _ in connections]
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    for _, writer in connections:
        writer.close()
    for task in drains:
        task.cancel()
    print(f"events {events}", flush=True)


class Holder:
    def __init__(self, server, token):
        self.process = subprocess.Popen(
            ["taskset", "-c", LOAD_CPU, sys.executable, __file__, "--hold", str(server.port), token, str(STREAMS)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )
        line = self.process.stdout.readline().strip()
        assert line == f"ready {STREAMS}", line

    def close(self) -> int:
        self.process.stdin.close()
        line = self.process.stdout.readline().strip()
        self.process.wait(timeout=30)
        return int(line.split()[1])


def main():
    pin = ("taskset", "-c", SERVER_CPU)
    server = Server(
        os.path.abspath(BINARY),
        extra_environment={"LOG_LEVEL": "warning", "MAX_TODOS_PER_USER": "10000000", "MAX_STREAMS_PER_USER": str(STREAMS + 10)},
        prefix=pin,
    )
    runs, rss, fanout_events, fanout_writes = {}, [], [], []
    try:
        caller = OAuthSession(server.base, "caller@example.com")
        listener = OAuthSession(server.base, "listener@example.com")
        todo = create(server, caller.access_token, "Read me")
        cases = {
            "get_todo": tool_case(server, *modern_call(caller.access_token, "get_todo", {"id": todo})),
            "create_todo": tool_case(server, *modern_call(caller.access_token, "create_todo", {"title": "Benchmark todo"})),
        }
        fanout = tool_case(server, *modern_call(listener.access_token, "create_todo", {"title": "Heard by every stream"}))
        for round in range(ROUNDS):
            for name, run in cases.items():
                runs.setdefault((name, 0), []).append(run(16))
            before = rss_mb(server.process.pid)
            holder = Holder(server, listener.access_token)
            opened = rss_mb(server.process.pid)
            for name, run in cases.items():
                runs.setdefault((name, STREAMS), []).append(run(16))
            result = fanout(16)
            runs.setdefault(("fan-out", STREAMS), []).append(result)
            fanout_writes.append(result["requests"])
            fanout_events.append(holder.close())
            time.sleep(0.5)
            rss.append((before, opened, rss_mb(server.process.pid)))
            for (name, streams), results in runs.items():
                if len(results) == round + 1:
                    print(f"round {round + 1} {name:12} streams {streams:5}  {results[-1]['rps']:8.0f} req/s  p99 {results[-1]['p99_ms']:6.2f} ms", flush=True)
    finally:
        status = server.stop()

    def median(name, streams, key="rps"):
        return statistics.median(result[key] for result in runs[(name, streams)])

    lines = [
        "## With 1,000 notification streams open",
        "",
        f"`python3 bench/streams.py` (part of `make bench`), {ROUNDS} rounds, c=16, medians. One person holds {STREAMS:,} `subscriptions/listen`",
        "streams (list changes and `todo://views/open`), opened by one asyncio process that reads them all, while another person calls tools.",
        "",
        "| case | no stream open | 1,000 streams open | ratio |",
        "|---|---:|---:|---:|",
    ]
    for name in cases:
        without, with_streams = median(name, 0), median(name, STREAMS)
        lines.append(f"| {name}, req/s | {without:.0f} | {with_streams:.0f} | {with_streams / without:.2f} |")
        lines.append(f"| {name}, p99 ms | {median(name, 0, 'p99_ms'):.2f} | {median(name, STREAMS, 'p99_ms'):.2f} | |")
    delivered = statistics.median(events / max(writes, 1) for events, writes in zip(fanout_events, fanout_writes))
    lines += [
        "",
        f"Fan-out: create_todo by the listening person itself, so each write goes to all {STREAMS:,} streams: "
        f"{median('fan-out', STREAMS):.0f} writes/s; the holder read {delivered:.0f} notifications per write "
        f"(each write is a list change and an update of `todo://views/open`, 2 per stream; fewer means a stream fell behind and "
        "was told to read again, which is how a slow reader is bounded).",
        "",
        "Server memory (VmRSS) per round: before opening, with the streams open, after they closed:",
        "",
    ]
    lines += [f"- round {index + 1}: {before:.1f} MB, {opened:.1f} MB (+{(opened - before) * 1024 / STREAMS:.1f} KB a stream), {after:.1f} MB"
              for index, (before, opened, after) in enumerate(rss)]
    target = min(median(name, STREAMS) / median(name, 0) for name in cases)
    lines += ["", f"Target: tool throughput with the streams open within 20% of none: {target:.2f} of it, {'met' if target >= 0.8 else '**missed**'}.",
              f"Exit status on SIGTERM with no stream open: {status}.", ""]
    text = "\n".join(lines)
    if "--print" in sys.argv:
        print(text)
    with open(os.path.join(HERE, "streams.md"), "w") as file:
        file.write(text)
    print("wrote bench/streams.md")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--hold":
        asyncio.run(hold(int(sys.argv[2]), sys.argv[3], int(sys.argv[4])))
    else:
        main()
