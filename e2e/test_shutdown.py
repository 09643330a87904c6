"""Graceful shutdown of the real binary: requests in flight are waited for, within SHUTDOWN_TIMEOUT,
and a second signal ends the process at once."""

import os
import signal
import socket
import time

from server import Server

BINARY = os.path.abspath(os.environ.get("TODO_SERVER_BINARY", os.path.join(os.path.dirname(__file__), "..", ".build", "debug", "todo-server")))


def stuck_request(server):
    """A request in flight: its head is sent, and the handler waits for a body that never finishes."""
    connection = socket.create_connection(("127.0.0.1", server.port), timeout=30)
    connection.sendall(b"POST /oauth/register HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"client_name\"")
    time.sleep(0.3)
    return connection


def test_in_flight_request_is_waited_for_within_the_bound():
    server = Server(BINARY, extra_environment={"SHUTDOWN_TIMEOUT": "2"})
    connection = stuck_request(server)
    started = time.time()
    server.process.send_signal(signal.SIGTERM)
    time.sleep(1)
    assert server.process.poll() is None, "still draining the request in flight"
    status = server.process.wait(timeout=15)
    took = time.time() - started
    connection.close()
    server.log.close()
    assert 1.5 <= took < 9, took
    print(f"shutdown with a stuck request took {took:.1f} s (bound 2 s), exit {status}")


def test_a_second_signal_exits_at_once():
    server = Server(BINARY, extra_environment={"SHUTDOWN_TIMEOUT": "60"})
    connection = stuck_request(server)
    server.process.send_signal(signal.SIGTERM)
    time.sleep(0.5)
    assert server.process.poll() is None
    started = time.time()
    server.process.send_signal(signal.SIGTERM)
    status = server.process.wait(timeout=5)
    connection.close()
    server.log.close()
    assert time.time() - started < 2 and status == 1
    assert "second signal" in open(server.log_path).read()


def open_stream(server, request: bytes) -> socket.socket:
    """Sends `request` and returns the connection once the stream's first event arrived."""
    connection = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    connection.sendall(request)
    received = b""
    while b"\n\n" not in received.split(b"\r\n\r\n", 1)[-1]:
        received += connection.recv(65536)
    return connection


def test_open_notification_streams_end_gracefully_on_shutdown():
    """A listen stream gets its final result and a legacy GET stream ends: neither holds shutdown up."""
    from server import OAuthSession
    import json

    server = Server(BINARY, extra_environment={"SHUTDOWN_TIMEOUT": "20", "STREAM_KEEPALIVE": "60"})
    token = OAuthSession(server.base, "shutdown@example.com").access_token
    listen = json.dumps({
        "jsonrpc": "2.0", "id": 41, "method": "subscriptions/listen",
        "params": {"notifications": {"resourcesListChanged": True},
                   "_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {}}},
    }).encode()
    modern = open_stream(server, (
        f"POST / HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\n"
        f"Accept: text/event-stream\r\nMCP-Protocol-Version: 2026-07-28\r\nMcp-Method: subscriptions/listen\r\n"
        f"Content-Length: {len(listen)}\r\n\r\n"
    ).encode() + listen)
    initialize = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize",
                             "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}).encode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as setup:
        setup.sendall((f"POST / HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\n"
                       f"Accept: application/json\r\nContent-Length: {len(initialize)}\r\nConnection: close\r\n\r\n").encode() + initialize)
        answer = b""
        while chunk := setup.recv(65536):
            answer += chunk
    session = [line.split(b":", 1)[1].strip().decode() for line in answer.split(b"\r\n") if line.lower().startswith(b"mcp-session-id:")][0]
    legacy = open_stream(server, (
        f"GET / HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nAccept: text/event-stream\r\n"
        f"Mcp-Session-Id: {session}\r\nMCP-Protocol-Version: 2025-11-25\r\n\r\n"
    ).encode())

    started = time.time()
    server.process.send_signal(signal.SIGTERM)
    tail = b""
    while chunk := modern.recv(65536):
        tail += chunk
    status = server.process.wait(timeout=15)
    took = time.time() - started
    server.log.close()
    modern.close()
    legacy.close()
    assert status == 0
    assert took < 5, f"shutdown took {took:.1f} s with streams open"
    assert b'"method":"notifications/cancelled"' in tail
    assert b'"resultType":"complete"' in tail and b'"io.modelcontextprotocol/subscriptionId":41' in tail
    print(f"shutdown with two notification streams open took {took:.2f} s")


def test_a_client_that_closes_its_stream_frees_its_place_at_once():
    """With room for one stream and keep-alives a minute apart, a client that closes its listen
    stream can open another straight away: the server ends a stream when its client goes, not at
    its next write."""
    from server import OAuthSession
    import json

    server = Server(BINARY, extra_environment={"MAX_STREAMS_PER_USER": "1", "STREAM_KEEPALIVE": "60"})
    try:
        token = OAuthSession(server.base, "closer@example.com").access_token
        body = json.dumps({
            "jsonrpc": "2.0", "id": 1, "method": "subscriptions/listen",
            "params": {"notifications": {"resourcesListChanged": True},
                       "_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {}}},
        }).encode()
        request = (
            f"POST / HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\n"
            f"Accept: text/event-stream\r\nMCP-Protocol-Version: 2026-07-28\r\nMcp-Method: subscriptions/listen\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode() + body
        def listen_when_room(deadline):
            """A listen stream as soon as the server has room for it (429 until then)."""
            while True:
                connection = socket.create_connection(("127.0.0.1", server.port), timeout=10)
                connection.sendall(request)
                received = connection.recv(65536)
                if received.startswith(b"HTTP/1.1 200"):
                    while b"notifications/subscriptions/acknowledged" not in received:
                        received += connection.recv(65536)
                    return connection
                connection.close()
                assert received.startswith(b"HTTP/1.1 429"), received[:200]
                assert time.time() < deadline, "a closed stream still held its place"
                time.sleep(0.05)

        # Each stream after the first gets the place only once the one before it was seen closing.
        for _ in range(5):
            listen_when_room(time.time() + 5).close()
    finally:
        assert server.stop() == 0
