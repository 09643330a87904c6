import os

import pytest

from server import Server


@pytest.fixture(scope="session")
def server():
    binary = os.environ.get("TODO_SERVER_BINARY", os.path.join(os.path.dirname(__file__), "..", ".build", "debug", "todo-server"))
    running = Server(os.path.abspath(binary))
    yield running
    status = running.stop()
    assert status == 0, f"todo-server exited with {status} on SIGTERM"


@pytest.fixture(scope="session")
def embedded():
    """The embedding example: a Hummingbird app with the MCP endpoint at /mcp and OAuth at /auth."""
    binary = os.environ.get(
        "EMBEDDED_SERVER_BINARY", os.path.join(os.path.dirname(__file__), "..", "Examples", "EmbeddedServer", ".build", "debug", "EmbeddedServer")
    )
    running = Server(os.path.abspath(binary), arguments=(), ready_path="/", mcp_path="/mcp")
    yield running
    status = running.stop()
    assert status == 0, f"EmbeddedServer exited with {status} on SIGTERM"


@pytest.fixture(scope="session")
def screenshots():
    folder = os.path.join(os.path.dirname(__file__), "out")
    os.makedirs(folder, exist_ok=True)
    return folder
