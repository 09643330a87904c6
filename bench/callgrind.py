#!/usr/bin/env python3
"""Instructions per request, from valgrind's callgrind: repeatable where wall time here is not.

Usage: callgrind.py [TODO_SERVER_BINARY [PROBE_BINARY]] (defaults: the release builds). Prints a
Markdown table and leaves one callgrind profile per case in bench/out/callgrind/ for
callgrind_annotate.

Each server runs under callgrind; after a warm-up, the counters are zeroed, N requests are sent
one after another on one keep-alive connection, and the counters are dumped. The server's
background work (checkpoints, reloads) is measured the same way over an idle stretch of the same
length and taken off. Valgrind 3.19 cannot read this toolchain's DWARF 5 and crashes on
libdispatch's read-only sigsuspend mask, so the binaries and the Swift runtime run from copies
without debug info (symbols stay) with bench/sigsuspend-shim.c preloaded.
"""

import glob
import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
from server import OAuthSession, free_port  # noqa: E402
from run import MODERN, legacy_call, modern_call  # noqa: E402

OUT = os.path.join(HERE, "out", "callgrind")
PROFILES = {}

# Stages of a tool call, each the inclusive cost of the functions that do it (their names as
# callgrind_annotate prints them, demangled). Only functions that never suspend are named: an async
# function's cost is split over the jobs it resumes in, so its inclusive count means little.
STAGES = [
    ("access token (HMAC, claims)", ["AccessTokenAuthority.verify(_:audience:now:)"]),
    ("headers (Accept, Content-Type, Mcp-*)", ["static MediaType.accepts(", "static MediaType.is(", "HTTPFields.value("]),
    ("JSON parse", ["static JSONParser.parse("]),
    ("JSON-RPC dispatch", ["JSONRPCMessage.classify(", "MCPEndpoint.isModern("]),
    ("database read: GRDB's reader pool, SQLite, row to Todo", ["DatabasePool.unsafeRead<"]),
    ("  of which the statement and the row to Todo", ["closure #1 in SQLiteTodoRepository.todo(id:owner:)"]),
    ("JSON write (result, envelope)", ["ToolResult.writeMembers(to:)", "static TodoTools.json("]),
    ("metrics", ["MetricsMiddleware.record("]),
]
REQUESTS = int(os.environ.get("CALLGRIND_REQUESTS", "400"))
RUNTIME = "/opt/swift/usr/lib/swift/linux"


def prepare(binary):
    """A copy of `binary` without debug info, the runtime likewise, and the shim; returns the environment and binary."""
    os.makedirs(os.path.join(OUT, "lib"), exist_ok=True)
    for library in glob.glob(os.path.join(RUNTIME, "*.so")):
        target = os.path.join(OUT, "lib", os.path.basename(library))
        if not os.path.exists(target):
            subprocess.run(["objcopy", "--strip-debug", library, target], check=True)
    copy = os.path.join(OUT, os.path.basename(binary) + "-" + str(abs(hash(os.path.abspath(binary))) % 10_000))
    subprocess.run(["objcopy", "--strip-debug", binary, copy], check=True)
    shim = os.path.join(OUT, "sigsuspend-shim.so")
    subprocess.run(["cc", "-shared", "-fPIC", "-O2", "-o", shim, os.path.join(HERE, "sigsuspend-shim.c")], check=True)
    return dict(os.environ, LD_LIBRARY_PATH=os.path.join(OUT, "lib"), LD_PRELOAD=shim), copy


class Profiled:
    """A server under callgrind, on `port`, up once `ready` answers."""

    def __init__(self, name, binary, arguments, port, ready, settings=None):
        environment, copy = prepare(binary)
        environment.update(settings or {})
        self.name, self.port = name, port
        # vgdb, behind callgrind_control, finds the process by names made of USER and HOST (the
        # server's own HOST setting here), so it must run with the server's.
        self.environment = environment
        self.base = f"http://127.0.0.1:{self.port}"
        self.folder = tempfile.mkdtemp(prefix="callgrind-")
        self.log = open(os.path.join(OUT, f"{name}.log"), "w")
        self.process = subprocess.Popen(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={OUT}/{name}.%p.out", copy, *[a.format(port=self.port) for a in arguments]],
            env=environment, stdout=self.log, stderr=subprocess.STDOUT, cwd=self.folder,
        )
        deadline = time.time() + 180
        while time.time() < deadline:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
                connection.request("GET", ready)
                connection.getresponse().read()
                return
            except OSError:
                time.sleep(0.5)
        raise RuntimeError(f"{name} did not start under valgrind; see {OUT}/{name}.log")

    def zero(self):
        subprocess.run(["callgrind_control", "--zero", str(self.process.pid)], env=self.environment, check=True, capture_output=True)

    def dump(self):
        """Writes the counters since the last zero to a new file; returns their total instructions and the file."""
        pattern = os.path.join(OUT, f"{self.name}.{self.process.pid}.out.*")
        before = set(glob.glob(pattern))
        subprocess.run(["callgrind_control", "--dump", str(self.process.pid)], env=self.environment, check=True, capture_output=True)
        deadline = time.time() + 60
        while time.time() < deadline:
            new = set(glob.glob(pattern)) - before
            if new:
                path = new.pop()
                time.sleep(0.5)  # the file is complete once callgrind_control returned; settle anyway
                with open(path) as profile:
                    for line in profile:
                        if line.startswith(("totals:", "summary:")):
                            return int(line.split()[1]), path
            time.sleep(0.2)
        raise RuntimeError(f"callgrind wrote no dump for {self.name}")

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=120)
        self.log.close()
        shutil.rmtree(self.folder, ignore_errors=True)


def measure(server, cases):
    """Instructions per request for each case: (method, path, body, headers, expect)."""
    results = {}
    for label, method, path, body, headers, expect in cases:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)

        def send(count):
            for _ in range(count):
                connection.request(method, path, body=body, headers=headers)
                answer = connection.getresponse().read()
                assert expect.encode() in answer, answer[:300]

        send(50)  # warm-up: caches filled, statements prepared
        server.zero()
        start = time.perf_counter()
        send(REQUESTS)
        elapsed = time.perf_counter() - start
        busy, profile = server.dump()
        server.zero()
        time.sleep(elapsed)
        idle, _ = server.dump()
        results[label] = (busy - idle) / REQUESTS
        PROFILES[label] = profile
        print(f"{server.name:6} {label:34} {results[label]:10,.0f} instructions per request (idle work taken off: {idle / REQUESTS:,.0f})", flush=True)
        connection.close()
    return results


def stages(profile):
    """The inclusive instructions per request of each stage in `profile`."""
    annotated = subprocess.run(["callgrind_annotate", "--inclusive=yes", "--threshold=100", profile], capture_output=True, text=True, check=True).stdout
    demangled = subprocess.run(["swift", "demangle", "--simplified"], input=annotated, capture_output=True, text=True, check=True).stdout
    costs = {}
    for line in demangled.splitlines():
        match = re.match(r"\s*([\d,]+) \([^)]*\)\s+\S*?:(?:specialized |partial apply for )?(.*) \[", line)
        if match:
            name = match.group(2)
            if re.search(r"'\d+$", name):
                continue  # a second entry of a function called recursively, which counts twice
            costs.setdefault(name, int(match.group(1).replace(",", "")))
    result = []
    for stage, patterns in STAGES:
        total = 0
        for pattern in patterns:
            found = [cost for name, cost in costs.items() if name.startswith(pattern)]
            total += max(found, default=0)
        result.append((stage, total / REQUESTS))
    return result


def headers_of(text):
    return dict(part.split(": ", 1) for part in text.split("|"))


def main():
    binary = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", ".build", "release", "todo-server"))
    probe_binary = os.path.abspath(sys.argv[2] if len(sys.argv) > 2 else os.path.join(HERE, "Probe", ".build", "release", "Probe"))
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)

    probe_results = {}
    for name, arguments, label in [
        ("probe", ["{port}"], "bare Hummingbird GET /hello"),
        ("probe-nio", ["{port}", "--nio-executor"], "bare Hummingbird GET /hello, concurrency on NIO's loops"),
    ]:
        probe = Profiled(name, probe_binary, arguments, free_port(), "/hello")
        try:
            probe_results.update(measure(probe, [(label, "GET", "/hello", None, {}, "hello")]))
        finally:
            probe.stop()

    port = free_port()
    settings = {"PORT": str(port), "HOST": "127.0.0.1", "PUBLIC_URL": f"http://127.0.0.1:{port}", "LOG_LEVEL": "warning", "DATABASE_PATH": "todo.sqlite"}
    server = Profiled("server", binary, ["serve"], port, "/health", settings)
    try:
        reader = OAuthSession(server.base, "reader@example.com")
        token = reader.access_token
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        ids = []
        for i in range(20):
            body, headers = modern_call(token, "create_todo", {"title": f"Todo {i}"})
            connection.request("POST", "/", body=body, headers=headers_of(headers))
            ids.append(json.loads(connection.getresponse().read())["result"]["structuredContent"]["id"])
        initialize = json.dumps({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "callgrind", "version": "1"}}})
        connection.request("POST", "/", body=initialize, headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json", "Accept": "application/json, text/event-stream"})
        answer = connection.getresponse()
        answer.read()
        session = answer.getheader("Mcp-Session-Id")
        connection.close()

        cases = [
            ("GET /health", "GET", "/health", None, {}, '"ok"'),
            ("GET /.well-known/oauth-protected-resource", "GET", "/.well-known/oauth-protected-resource", None, {}, '"resource"'),
        ]
        for tool, arguments in [("get_todo", {"id": ids[0]}), ("list_todos", {}), ("create_todo", {"title": "Profiled todo"})]:
            body, headers = modern_call(token, tool, arguments)
            cases.append((f"{tool} ({MODERN})", "POST", "/", body, headers_of(headers), '"structuredContent"'))
        body, headers = legacy_call(token, session, "get_todo", {"id": ids[0]})
        cases.append(("get_todo (legacy session)", "POST", "/", body, headers_of(headers), '"structuredContent"'))
        results = measure(server, cases)
    finally:
        server.stop()

    print()
    print("| stage of get_todo (2026-07-28) | instructions per request |")
    print("|---|---:|")
    for stage, count in stages(PROFILES[f"get_todo ({MODERN})"]):
        print(f"| {stage} | {count:,.0f} |")
    print()
    print("| request | instructions per request |")
    print("|---|---:|")
    for label, count in {**probe_results, **results}.items():
        print(f"| {label} | {count:,.0f} |")


if __name__ == "__main__":
    main()
