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
