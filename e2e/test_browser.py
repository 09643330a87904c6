"""A person in headless Chromium: the setup page, then login, code and consent at phone width."""

import asyncio
import http.server
import json
import os
import threading
import time
import urllib.parse

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from server import Http, Server, pkce_pair
from test_python_sdk import sdk_client

PHONE = (390, 844)


@pytest.fixture
def callback():
    """A local page the client's redirect lands on, recording the query it received."""
    received = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            received.update({k: v[0] for k, v in urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query).items()})
            body = b"<!doctype html><title>Done</title><p>You can close this window.</p>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/callback", received
    httpd.shutdown()


@pytest.fixture
def browser():
    options = webdriver.ChromeOptions()
    for argument in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", f"--window-size={PHONE[0]},{PHONE[1]}"]:
        options.add_argument(argument)
    options.binary_location = os.environ.get("CHROMIUM_BINARY", "/usr/bin/chromium")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")), options=options)
    driver.set_page_load_timeout(20)
    yield driver
    driver.quit()


def wait_for(driver, text):
    """Waits until the page shows `text` (clicks start navigations that finish later)."""
    WebDriverWait(driver, 15).until(lambda d: text in d.page_source)


def check_page(driver, name, screenshots, expected_status=None):
    """No console errors, nothing wider than a phone, and a screenshot to look at.

    A page answered with an error status on purpose (a wrong code is 400) logs that status as a
    network error; `expected_status` admits exactly that entry and nothing else."""
    errors = [entry for entry in driver.get_log("browser") if entry["level"] in ("SEVERE", "ERROR")]
    if expected_status:
        errors = [e for e in errors if not (e.get("source") == "network" and f"status of {expected_status}" in e["message"])]
    assert not errors, f"{name}: console errors {errors}"
    width = driver.execute_script("return document.documentElement.scrollWidth")
    viewport = driver.execute_script("return window.innerWidth")
    assert width <= viewport, f"{name}: the page is {width}px wide on a {viewport}px screen"
    driver.save_screenshot(os.path.join(screenshots, f"{name}.png"))


def test_setup_page(server, browser, screenshots):
    browser.get(server.base + "/")
    assert "Todo MCP server" in browser.title
    assert browser.find_element(By.ID, "mcp-url").text == server.base
    check_page(browser, "setup", screenshots)


def test_login_code_and_consent_as_a_person(server, browser, callback, screenshots):
    redirect_uri, received = callback
    registration = Http(server.base).json_post("/oauth/register", {"client_name": "Browser Test App", "redirect_uris": [redirect_uri]})
    client_id = registration.json()["client_id"]
    verifier, challenge = pkce_pair()
    query = urllib.parse.urlencode(
        {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "state": "browser-state",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "scope": "todos:read todos:write",
        }
    )

    browser.get(server.base + "/oauth/authorize?" + query)
    assert "Browser Test App" in browser.page_source
    check_page(browser, "1-email", screenshots)
    browser.find_element(By.NAME, "email").send_keys("person@example.com")
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()

    wait_for(browser, 'id="demo-code"')
    code = browser.find_element(By.ID, "demo-code").text
    assert len(code) == 5
    check_page(browser, "2-code", screenshots)
    browser.find_element(By.NAME, "code").send_keys("WRONG")
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_for(browser, "not right")
    check_page(browser, "3-wrong-code", screenshots, expected_status=400)
    browser.find_element(By.NAME, "code").send_keys(code.lower())
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()

    wait_for(browser, "Allow access?")
    assert urllib.parse.urlparse(redirect_uri).netloc in browser.page_source
    check_page(browser, "4-consent", screenshots)
    browser.find_element(By.CSS_SELECTOR, "button[name=approve][value=yes]").click()

    wait_for(browser, "You can close this window")
    assert received.get("state") == "browser-state" and received.get("iss") == server.base and "code" in received
    tokens = Http(server.base).form(
        "/oauth/token",
        [("grant_type", "authorization_code"), ("code", received["code"]), ("redirect_uri", redirect_uri), ("client_id", client_id), ("code_verifier", verifier)],
    )
    assert tokens.status == 200, tokens.body
    assert json.loads(tokens.body)["token_type"] == "Bearer"


@pytest.fixture
def own_server():
    """A server of its own: sign-in limits count per client address, and every test here signs in from 127.0.0.1."""
    binary = os.environ.get("TODO_SERVER_BINARY", os.path.join(os.path.dirname(__file__), "..", ".build", "debug", "todo-server"))
    running = Server(os.path.abspath(binary))
    yield running
    assert running.stop() == 0


def test_account_page_walk(own_server, browser, screenshots, tmp_path):
    """A person at phone width on the account page: signs in, sees the app the SDK client
    connected, disconnects it (its token and refresh stop working), downloads the data, deletes
    the account, and the address then signs up anew with nothing in it."""
    server = own_server
    email = "walker@example.com"

    async def connect_and_create():
        http, client, storage = sdk_client(server, email, "auto")
        async with http, client:
            created = await client.call_tool("create_todo", {"title": "Walk the <dog>", "priority": "high"})
            assert not created.is_error, created.content
        return storage.tokens, storage.client_info

    tokens, client_info = asyncio.run(connect_and_create())

    browser.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(tmp_path), "eventsEnabled": True})
    browser.get(server.base + "/account")
    check_page(browser, "account-1-sign-in", screenshots)
    browser.find_element(By.NAME, "email").send_keys(email)
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_for(browser, 'id="demo-code"')
    check_page(browser, "account-2-code", screenshots)
    browser.find_element(By.NAME, "code").send_keys(browser.find_element(By.ID, "demo-code").text)
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()

    wait_for(browser, "Connected apps")
    assert browser.find_element(By.ID, "account-email").text == email
    app = browser.find_element(By.CSS_SELECTOR, "article.app")
    assert "python-sdk-e2e" in app.text and "127.0.0.1:9" in app.text and "Read your todos" in app.text
    assert "Walk the <dog>" in browser.find_element(By.ID, "data").text
    check_page(browser, "account-3-overview", screenshots)
    browser.set_window_size(PHONE[0], 2000)
    browser.save_screenshot(os.path.join(screenshots, "account-3-overview-whole.png"))
    browser.set_window_size(*PHONE)

    # Disconnect: the SDK client's access token is refused at once and its refresh fails.
    app.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_for(browser, "No apps are connected.")
    assert "disconnected" in browser.find_element(By.ID, "notice").text
    check_page(browser, "account-4-disconnected", screenshots)
    call = Http(server.base).request(
        "POST",
        "/",
        json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "list_todos", "arguments": {}}}).encode(),
        {
            "Authorization": f"Bearer {tokens.access_token}", "Content-Type": "application/json", "Accept": "application/json, text/event-stream",
            "MCP-Protocol-Version": "2026-07-28", "Mcp-Method": "tools/call", "Mcp-Name": "list_todos",
        },
    )
    assert call.status == 401, call.body
    refresh = Http(server.base).form(
        "/oauth/token", [("grant_type", "refresh_token"), ("refresh_token", tokens.refresh_token), ("client_id", client_info.client_id)]
    )
    assert refresh.status == 400 and refresh.json()["error"] == "invalid_grant"

    # Download my data: a JSON file with the todo and the account.
    browser.find_element(By.ID, "download").click()
    deadline = time.time() + 15
    files = []
    while time.time() < deadline and not files:
        files = [name for name in os.listdir(tmp_path) if name.endswith(".json")]
        time.sleep(0.1)
    assert files and files[0].startswith("account-data-"), os.listdir(tmp_path)
    with open(os.path.join(tmp_path, files[0])) as handle:
        data = json.load(handle)
    assert data["account"]["email"] == email
    assert [todo["title"] for todo in data["todos"]] == ["Walk the <dog>"]
    assert data["connectedApps"] == []

    # Delete my account: the typed confirmation, then everything is gone.
    browser.find_element(By.ID, "confirm").send_keys("not-my-address@example.com")
    browser.find_element(By.ID, "delete").click()
    wait_for(browser, "Nothing was deleted.")
    check_page(browser, "account-5-delete-refused", screenshots, expected_status=400)
    browser.find_element(By.ID, "confirm").send_keys(email)
    browser.find_element(By.ID, "delete").click()
    wait_for(browser, "are deleted")
    assert browser.find_elements(By.NAME, "email"), "signed out: the sign-in form is back"
    check_page(browser, "account-6-deleted", screenshots)

    async def sign_up_anew():
        http, client, _ = sdk_client(server, email, "auto")
        async with http, client:
            return (await client.call_tool("list_todos", {"status": "all"})).structured_content["todos"]

    assert asyncio.run(sign_up_anew()) == []
