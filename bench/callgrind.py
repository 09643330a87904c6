#!/usr/bin/env python3
"""Instructions per request, counted by callgrind: a repeatable measure of the request path.

Usage: bench/callgrind.py BINARY [BINARY ...]   (default: .build/release/todo-server)

Each binary is started under `valgrind --tool=callgrind` with instrumentation off, on a fresh
database; a user signs in through the real OAuth flow and creates 20 todos; then instrumentation
is switched on (`callgrind_control -i on`) for REQUESTS sequential requests of each kind, and the
instructions counted are divided by the requests. Timings on this machine are noisy; instruction
counts are not, so two binaries compare side by side.
"""

import glob
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "e2e"))
from server import OAuthSession, Server  # noqa: E402

REQUESTS = int(os.environ.get("CALLGRIND_REQUESTS", "200"))
MODERN = "2026-07-28"


def call(base, token, tool, arguments):
    body = json.dumps({
        "jsonrpc": "2.0", "id": 1, "method": "tools/call",
        "params": {"name": tool, "arguments": arguments, "_meta": {"io.modelcontextprotocol/protocolVersion": MODERN, "io.modelcontextprotocol/clientCapabilities": {}}},
    }).encode()
    headers = {
        "Authorization": f"Bearer {token}", "Content-Type": "application/json", "Accept": "application/json, text/event-stream",
        "MCP-Protocol-Version": MODERN, "Mcp-Method": "tools/call", "Mcp-Name": tool,
    }
    with urllib.request.urlopen(urllib.request.Request(base + "/", data=body, headers=headers, method="POST")) as response:
        answer = json.loads(response.read())
        assert "result" in answer and not answer["result"].get("isError"), answer
        return answer


def counted(server, pid, out_prefix, label, send):
    """Instructions per request of `send`, counted with instrumentation on only around the loop."""
    subprocess.run(["callgrind_control", "-i", "on", str(pid)], check=True, capture_output=True)
    for _ in range(REQUESTS):
        send()
    subprocess.run(["callgrind_control", "-d", label, str(pid)], check=True, capture_output=True)
    subprocess.run(["callgrind_control", "-i", "off", str(pid)], check=True, capture_output=True)
    subprocess.run(["callgrind_control", "-z", str(pid)], check=True, capture_output=True)
    dumps = [path for path in glob.glob(out_prefix + "*") if label in open(path, errors="replace").read(4096)]
    total = 0
    for path in dumps:
        match = re.search(r"^summary:\s+(\d+)", open(path, errors="replace").read(), re.M) or re.search(r"^totals:\s+(\d+)", open(path, errors="replace").read(), re.M)
        total += int(match.group(1)) if match else 0
    for path in dumps:
        os.remove(path)
    return total / REQUESTS


def measure(binary):
    folder = tempfile.mkdtemp(prefix="callgrind-")
    out_prefix = os.path.join(folder, "callgrind.out")
    wrapper = os.path.join(folder, "run.sh")
    with open(wrapper, "w") as file:
        file.write(f'#!/bin/sh\nexec valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file={out_prefix}.%p "{binary}" "$@"\n')
    os.chmod(wrapper, 0o755)
    os.environ["LOG_LEVEL"] = "warning"
    server = Server(wrapper)
    try:
        pid = int(subprocess.run(["pgrep", "-f", f"callgrind.*{re.escape(binary)}.*serve"], capture_output=True, text=True).stdout.split()[0])
        session = OAuthSession(server.base, "callgrind@example.com")
        for index in range(20):
            call(server.base, session.access_token, "create_todo", {"title": f"Todo {index}", "dueDate": "2027-01-15"})
        call(server.base, session.access_token, "list_todos", {})  # warm caches
        health = lambda: urllib.request.urlopen(server.base + "/health").read()  # noqa: E731
        results = {
            "GET /health": counted(server, pid, out_prefix, "health", health),
            "list_todos (20 todos)": counted(server, pid, out_prefix, "list", lambda: call(server.base, session.access_token, "list_todos", {})),
        }
    finally:
        server.stop()
    return results


def main():
    binaries = sys.argv[1:] or [os.path.join(os.path.dirname(__file__), "..", ".build", "release", "todo-server")]
    for binary in binaries:
        binary = os.path.abspath(binary)
        results = measure(binary)
        for name, value in results.items():
            print(f"{binary}: {name}: {value:,.0f} instructions per request")


if __name__ == "__main__":
    main()
