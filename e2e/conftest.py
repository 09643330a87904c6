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
def screenshots():
    folder = os.path.join(os.path.dirname(__file__), "out")
    os.makedirs(folder, exist_ok=True)
    return folder
