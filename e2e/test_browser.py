"""A person in headless Chromium: the setup page, then login, code and consent at phone width."""

import http.server
import json
import os
import threading
import urllib.parse

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from server import Http, pkce_pair

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
