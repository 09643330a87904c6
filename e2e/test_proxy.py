"""Production's shape on loopback: the server behind Caddy with TLS (`tls internal`), its public URL
https, the proxy in TRUSTED_PROXIES, and every client trusting Caddy's certificate authority."""

import asyncio
import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.parse

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from proxy import start_proxied
from server import Http, OAuthSession
from test_python_sdk import exercise_every_tool

BINARY = os.path.abspath(os.environ.get("TODO_SERVER_BINARY", os.path.join(os.path.dirname(__file__), "..", ".build", "debug", "todo-server")))
ROOT = os.path.join(os.path.dirname(__file__), "..")


@pytest.fixture(scope="module")
def proxied():
    running = start_proxied(BINARY)
    yield running
    running.caddy.stop()
    assert running.backend.stop() == 0


def https_request(proxied, method, path, body=None, headers=None, source="127.0.0.1"):
    """A request to Caddy from the loopback address `source`, for the host name `localhost`."""
    raw = socket.create_connection(("127.0.0.1", proxied.caddy.port), timeout=15, source_address=(source, 0))
    connection = http.client.HTTPConnection("localhost", proxied.caddy.port, timeout=15)
    connection.sock = proxied.ssl_context.wrap_socket(raw, server_hostname="localhost")
    connection.request(method, path, body=body, headers=headers or {})
    response = connection.getresponse()
    answer = response.status, response.headers, response.read()
    connection.close()
    return answer


def logged_client_address(proxied, request_id):
    """The client address the server logged for the request with `request_id`."""
    deadline = time.time() + 5
    while time.time() < deadline:
        with open(proxied.backend.log_path) as handle:
            for line in handle:
                if request_id in line:
                    return re.search(r"client\.address=(\S+)", line).group(1)
        time.sleep(0.1)
    raise AssertionError(f"no log line for request {request_id}")


@pytest.mark.parametrize(("mode", "expected"), [("auto", "2026-07-28"), ("legacy", "2025-11-25")])
def test_sdk_client_through_caddy(proxied, mode, expected):
    """Discovery, sign-in and every tool over https through the proxy, in both protocol eras."""
    assert asyncio.run(exercise_every_tool(proxied, f"proxied-{mode}@example.com", mode)) == expected


def test_every_absolute_url_is_https(proxied):
    http = Http(proxied.base, proxied.ssl_context)
    resource = http.request("GET", "/.well-known/oauth-protected-resource").json()
    assert resource["resource"] == proxied.base + "/" and resource["authorization_servers"] == [proxied.base]
    metadata = http.request("GET", "/.well-known/oauth-authorization-server").json()
    urls = [value for key, value in metadata.items() if key == "issuer" or key.endswith("_endpoint")]
    assert len(urls) == 5 and all(url.startswith(proxied.base + "/") or url == proxied.base for url in urls), urls
    status, headers, _ = https_request(proxied, "POST", "/", b"{}", {"Content-Type": "application/json", "Accept": "application/json"})
    assert status == 401
    assert f'resource_metadata="{proxied.base}/.well-known/oauth-protected-resource"' in headers["WWW-Authenticate"]
    status, _, body = https_request(proxied, "GET", "/", headers={"Accept": "text/html"})
    assert status == 200 and f"{proxied.base}/account".encode() in body


def test_cookies_are_host_prefixed_and_secure(proxied):
    registration = Http(proxied.base, proxied.ssl_context).json_post(
        "/oauth/register", {"client_name": "Cookie check", "redirect_uris": ["http://127.0.0.1:9/callback"]}
    )
    query = urllib.parse.urlencode({"response_type": "code", "client_id": registration.json()["client_id"], "code_challenge": "x" * 43,
                                    "code_challenge_method": "S256", "redirect_uri": "http://127.0.0.1:9/callback"})
    for path in ["/oauth/authorize?" + query, "/account"]:
        status, headers, _ = https_request(proxied, "GET", path)
        cookies = headers.get_all("Set-Cookie")
        assert status == 200 and cookies, path
        for cookie in cookies:
            assert cookie.startswith("__Host-") and "; Secure" in cookie and "; HttpOnly" in cookie and "; Path=/" in cookie, cookie


def test_forwarded_for_counts_only_from_the_proxy(proxied):
    """The proxy is trusted, so the address it forwards is the client's; what a client writes in
    X-Forwarded-For itself is not believed, through the proxy or around it."""
    spoofed = {"X-Forwarded-For": "6.6.6.6"}
    _, headers, _ = https_request(proxied, "GET", "/health", headers=spoofed, source="127.0.0.2")
    assert logged_client_address(proxied, headers["X-Request-Id"]) == "127.0.0.2", "the proxy's word, not the client's"
    direct = http.client.HTTPConnection("127.0.0.1", proxied.backend.port, timeout=10, source_address=("127.0.0.2", 0))
    direct.request("GET", "/health", headers=spoofed)
    response = direct.getresponse()
    response.read()
    assert logged_client_address(proxied, response.headers["X-Request-Id"]) == "127.0.0.2", "a client that is not the proxy is not believed"


def tool_call(request_id, name, arguments):
    """A 2026-07-28 tools/call with the `_meta` every request of that revision carries."""
    meta = {"io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {},
            "io.modelcontextprotocol/clientInfo": {"name": "proxy-e2e", "version": "1"}}
    return json.dumps({"jsonrpc": "2.0", "id": request_id, "method": "tools/call", "params": {"name": name, "arguments": arguments, "_meta": meta}}).encode()


def test_event_stream_and_long_responses_pass_unbuffered(proxied):
    token = OAuthSession(proxied.base, "long@example.com", context=proxied.ssl_context).access_token
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json",
               "Accept": "application/json, text/event-stream", "MCP-Protocol-Version": "2026-07-28", "Mcp-Method": "tools/call"}
    for index in range(60):
        call = tool_call(index, "create_todo", {"title": f"todo {index} " + "x" * 150})
        status, _, body = https_request(proxied, "POST", "/", call, dict(headers, **{"Mcp-Name": "create_todo"}))
        assert status == 200, body
    listing = tool_call(99, "list_todos", {"limit": 100})
    stream_headers = dict(headers, **{"Mcp-Name": "list_todos", "Accept": "text/event-stream"})
    status, response_headers, body = https_request(proxied, "POST", "/", listing, stream_headers)
    assert status == 200 and response_headers["Content-Type"] == "text/event-stream"
    assert response_headers.get("Content-Encoding") is None, "no compression on the MCP endpoint"
    text = body.decode()
    assert text.startswith("event: message\ndata: ") and text.endswith("\n\n")
    result = json.loads(text[len("event: message\ndata: "):])["result"]
    assert len(result["structuredContent"]["todos"]) == 60 and len(body) > 15_000


@pytest.fixture
def trusting_browser(proxied):
    """Headless Chromium whose certificate store (NSS, in a home of its own) trusts Caddy's authority."""
    home = tempfile.mkdtemp(prefix="chromium-home-")
    database = "sql:" + os.path.join(home, ".pki", "nssdb")
    os.makedirs(os.path.join(home, ".pki", "nssdb"))
    subprocess.run(["certutil", "-N", "-d", database, "--empty-password"], check=True)
    subprocess.run(["certutil", "-A", "-d", database, "-n", "caddy-e2e", "-t", "C,,", "-i", proxied.caddy.ca], check=True)
    options = webdriver.ChromeOptions()
    for argument in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=390,844"]:
        options.add_argument(argument)
    options.binary_location = os.environ.get("CHROMIUM_BINARY", "/usr/bin/chromium")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver"), env=dict(os.environ, HOME=home))
    driver = webdriver.Chrome(service=service, options=options)
    driver.set_page_load_timeout(20)
    yield driver
    driver.quit()
    shutil.rmtree(home, ignore_errors=True)


def test_browser_signs_in_over_https(proxied, trusting_browser, screenshots):
    """A person in Chromium over https: the certificate is trusted, the cookies are __Host- and Secure."""
    driver = trusting_browser
    driver.get(proxied.base + "/")
    assert "Todo MCP server" in driver.title, driver.page_source[:300]
    assert driver.find_element(By.ID, "mcp-url").text == proxied.base
    driver.get(proxied.base + "/account")
    driver.find_element(By.NAME, "email").send_keys("browser-tls@example.com")
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(driver, 15).until(lambda d: 'id="demo-code"' in d.page_source)
    driver.find_element(By.NAME, "code").send_keys(driver.find_element(By.ID, "demo-code").text)
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(driver, 15).until(lambda d: "Connected apps" in d.page_source)
    cookies = {cookie["name"]: cookie for cookie in driver.get_cookies()}
    assert cookies["__Host-account_session"]["secure"] and cookies["__Host-account_session"]["httpOnly"]
    assert cookies["__Host-oauth_csrf"]["secure"]
    errors = [entry for entry in driver.get_log("browser") if entry["level"] in ("SEVERE", "ERROR")]
    assert not errors, errors
    driver.save_screenshot(os.path.join(screenshots, "tls-account.png"))


def test_nginx_example_config_is_valid(tmp_path):
    """deploy/nginx.conf, with a throw-away certificate in place of the real one, passes `nginx -t`."""
    certificate, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=todo.example.com",
         "-keyout", str(key), "-out", str(certificate)],
        check=True, capture_output=True,
    )
    site = open(os.path.join(ROOT, "deploy", "nginx.conf")).read()
    site = site.replace("/etc/letsencrypt/live/todo.example.com/fullchain.pem", str(certificate))
    site = site.replace("/etc/letsencrypt/live/todo.example.com/privkey.pem", str(key))
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log stderr;\nevents {{}}\nhttp {{\n  access_log off;\n  include {tmp_path}/site.conf;\n}}\n"
    )
    result = subprocess.run(["nginx", "-t", "-c", str(tmp_path / "nginx.conf"), "-p", str(tmp_path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "syntax is ok" in result.stderr


def test_notification_streams_through_caddy(proxied):
    """A listen stream and a legacy GET stream deliver through the proxy at once, unbuffered."""
    from mcp.client.subscriptions import ResourceUpdated
    from test_notifications import notification
    from test_python_sdk import sdk_client

    async def modern():
        http, client, _ = sdk_client(proxied, "proxied-listen@example.com", "auto")
        async with http, client:
            async with client.listen(resource_subscriptions=["todo://views/open"]) as subscription:
                started = time.monotonic()
                await client.call_tool("create_todo", {"title": "Through the proxy"})
                event = await asyncio.wait_for(subscription.__anext__(), timeout=2)
                assert isinstance(event, ResourceUpdated) and event.uri == "todo://views/open"
                return time.monotonic() - started

    async def legacy():
        heard = asyncio.Queue()

        async def handler(message):
            method, uri = notification(message)
            if method == "notifications/resources/updated":
                await heard.put(uri)

        http, client, _ = sdk_client(proxied, "proxied-legacy@example.com", "legacy")
        client.message_handler = handler
        async with http, client:
            await client.subscribe_resource("todo://views/open")
            for attempt in range(50):  # the SDK opens its GET stream on its own, shortly after initialize
                started = time.monotonic()
                await client.call_tool("create_todo", {"title": f"Legacy through the proxy {attempt}"})
                try:
                    assert await asyncio.wait_for(heard.get(), timeout=0.3) == "todo://views/open"
                    return time.monotonic() - started
                except asyncio.TimeoutError:
                    continue
            raise AssertionError("the GET stream delivered nothing through the proxy")

    for delay in [asyncio.run(modern()), asyncio.run(legacy())]:
        assert delay < 0.2, delay
