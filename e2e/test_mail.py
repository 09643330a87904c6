"""Sign-in codes by e-mail: the real binary in delivery mode against a real SMTP server (aiosmtpd)
on loopback that requires STARTTLS with a throw-away certificate."""

import asyncio
import os
import time
import urllib.parse

import pytest

from mail import SMTPServer, login_code
from server import Http, Server, form_action, form_fields, free_port, pkce_pair
from test_python_sdk import exercise_every_tool

BINARY = os.path.abspath(os.environ.get("TODO_SERVER_BINARY", os.path.join(os.path.dirname(__file__), "..", ".build", "debug", "todo-server")))


def delivery_server(smtp_port, certificate):
    return Server(
        BINARY,
        extra_environment={
            "DEMO_MODE": "false", "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp_port), "SMTP_SECURITY": "starttls",
            "MAIL_FROM": "login@todo.test", "SMTP_CA_FILE": certificate,
        },
    )


def request_code(server, email):
    """Registers a client and asks for a code for `email`; returns the browser and the code page."""
    http = Http(server.base)
    registration = http.json_post("/oauth/register", {"client_name": "Mail test", "redirect_uris": ["http://127.0.0.1:9/callback"]})
    _, challenge = pkce_pair()
    query = urllib.parse.urlencode({
        "response_type": "code", "client_id": registration.json()["client_id"], "redirect_uri": "http://127.0.0.1:9/callback",
        "code_challenge": challenge, "code_challenge_method": "S256", "state": "s",
    })
    page = http.request("GET", "/oauth/authorize?" + query)
    page = http.form(form_action(page.body), form_fields(page.body) + [("email", email)])
    return http, page


@pytest.fixture(scope="module")
def smtp():
    server = SMTPServer(free_port()).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def mail_server(smtp):
    server = delivery_server(smtp.port, smtp.certificate)
    yield server
    assert server.stop() == 0


def test_sdk_client_signs_in_with_the_mailed_code(mail_server, smtp):
    """The official SDK client, both eras: the code comes from the delivered e-mail, never the page."""
    for mode, expected in [("auto", "2026-07-28"), ("legacy", "2025-11-25")]:
        address = f"mailed-{mode}@example.com"
        version = asyncio.run(exercise_every_tool(mail_server, address, mode, code_for=lambda email: login_code(smtp.inbox.wait_for(email)[0])))
        assert version == expected
    message, _ = smtp.inbox.wait_for("mailed-auto@example.com")
    assert str(message["Subject"]).startswith("Your sign-in code: ")
    assert message["Date"] and message["Message-ID"].endswith("@todo.test>")
    assert "login@todo.test" in str(message["From"])
    body = message.get_content()
    assert "python-sdk-e2e asked to use 127.0.0.1" in body and login_code(message) in body


def test_the_page_never_shows_the_code(mail_server, smtp):
    started = time.time()
    _, page = request_code(mail_server, "page@example.com")
    assert page.status == 200
    assert 'id="demo-code"' not in page.body and "Check your e-mail" in page.body
    message, received = smtp.inbox.wait_for("page@example.com")
    assert login_code(message) not in page.body
    print(f"login code delivered {received - started:.2f} s after the request")


def test_a_relay_down_at_first_gets_the_code_once_it_is_up():
    port = free_port()
    late = SMTPServer(port)
    server = delivery_server(port, late.certificate)
    try:
        started = time.time()
        http, page = request_code(server, "late@example.com")
        assert page.status == 200 and "Check your e-mail" in page.body, "the sign-in does not wait for the relay"
        assert time.time() - started < 2
        time.sleep(3)
        late.start()
        message, received = late.inbox.wait_for("late@example.com", timeout=40)
        print(f"code delivered {received - started:.1f} s after the request, the relay up after 3 s")
        page = http.form(form_action(page.body), form_fields(page.body) + [("code", login_code(message))])
        assert page.status == 200 and 'name="approve"' in page.body
    finally:
        late.stop()
        assert server.stop() == 0


def test_a_relay_without_starttls_gets_nothing():
    plain = SMTPServer(free_port(), starttls=False).start()
    server = delivery_server(plain.port, plain.certificate)
    try:
        _, page = request_code(server, "clear@example.com")
        assert page.status == 200
        deadline = time.time() + 10
        while time.time() < deadline and "given up" not in open(server.log_path).read():
            time.sleep(0.2)
        assert "given up" in open(server.log_path).read(), "the refusal is logged"
        assert plain.inbox.count() == 0, "nothing was sent in clear"
    finally:
        plain.stop()
        assert server.stop() == 0
