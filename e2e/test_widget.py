"""The todo widget (an MCP Apps view) in a host of our own, in headless Chromium.

The host page (`widget_host.html`) embeds the view the real server serves in a sandboxed iframe
under the spec's default Content-Security-Policy, and relays its `tools/call` to the server with
a real bearer token through a same-origin relay (`WidgetHost`)."""

import datetime
import http.server
import json
import os
import threading
import urllib.error
import urllib.parse
import urllib.request

import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from server import OAuthSession, Server, call

HOST_PAGE = os.path.join(os.path.dirname(__file__), "widget_host.html")
PHONE, DESKTOP = (390, 844), (1280, 900)
XSS_TITLE = '<img src=x onerror="window.__pwned=1">'
RELAYED_HEADERS = ("Content-Type", "Accept", "MCP-Protocol-Version", "Mcp-Session-Id", "Mcp-Method", "Mcp-Name")


class WidgetHost:
    """Serves the host page at / and relays POST /mcp to the server with `token`; records every path asked for."""

    def __init__(self, server_base: str, token: str):
        self.paths = []
        host = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                host.paths.append(self.path.split("?")[0])
                if self.path.split("?")[0] != "/":
                    return self.answer(404, "text/plain", b"not found")
                with open(HOST_PAGE, "rb") as page:
                    self.answer(200, "text/html; charset=utf-8", page.read())

            def do_POST(self):
                host.paths.append(self.path)
                if self.path != "/mcp":
                    return self.answer(404, "text/plain", b"not found")
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                headers = {name: self.headers[name] for name in RELAYED_HEADERS if self.headers.get(name)}
                headers["Authorization"] = f"Bearer {token}"  # the browser's Origin is not passed on
                request = urllib.request.Request(server_base + "/", data=body, headers=headers, method="POST")
                try:
                    with urllib.request.urlopen(request, timeout=15) as response:
                        status, answer, reply_headers = response.status, response.read(), response.headers
                except urllib.error.HTTPError as error:
                    status, answer, reply_headers = error.code, error.read(), error.headers
                extra = {"Mcp-Session-Id": reply_headers["Mcp-Session-Id"]} if reply_headers.get("Mcp-Session-Id") else {}
                self.answer(status, reply_headers.get("Content-Type", "application/json"), answer, extra)

            def answer(self, status, content_type, body, extra=None):
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                for name, value in (extra or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def url(self, era="modern", theme="light", arguments=None, tool_input=True, result=True, echo=False, tools=True):
        query = {"era": era, "theme": theme, "args": json.dumps(arguments or {})}
        if not tools:
            query["tools"] = "0"
        if not tool_input:
            query["input"] = "0"
        if not result:
            query["result"] = "0"
        if echo:
            query["echo"] = "1"
        return self.base + "/?" + urllib.parse.urlencode(query)

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def people():
    """A server of its own with two people signed in (sign-in limits count per client address)."""
    binary = os.environ.get("TODO_SERVER_BINARY", os.path.join(os.path.dirname(__file__), "..", ".build", "debug", "todo-server"))
    server = Server(os.path.abspath(binary))
    alice = OAuthSession(server.base, "alice@example.com").access_token
    bob = OAuthSession(server.base, "bob@example.com").access_token
    yield server, alice, bob
    assert server.stop() == 0


@pytest.fixture
def browser():
    options = webdriver.ChromeOptions()
    for argument in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                     "--disable-component-update", "--no-first-run", f"--window-size={PHONE[0]},{PHONE[1]}"]:
        options.add_argument(argument)
    options.binary_location = os.environ.get("CHROMIUM_BINARY", "/usr/bin/chromium")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")), options=options)
    driver.set_page_load_timeout(20)
    yield driver
    driver.quit()


def create(server, token, title, **fields):
    status, _, body = call(server, token, "create_todo", {"title": title, **fields})
    assert status == 200 and not body["result"].get("isError"), body
    return body["result"]["structuredContent"]["id"]


def todo(server, token, todo_id):
    _, _, body = call(server, token, "get_todo", {"id": todo_id})
    return body["result"]


def day(offset):
    return (datetime.datetime.now(datetime.timezone.utc).date() + datetime.timedelta(days=offset)).isoformat()


def open_widget(driver, url, rows=None):
    """Loads the host, enters the widget's frame and waits for `rows` todos (if given)."""
    driver.get(url)
    frame = WebDriverWait(driver, 15).until(lambda d: d.find_elements(By.ID, "app") or d.execute_script("return window.__hostError"))
    assert isinstance(frame, list), f"the host failed: {frame}"
    driver.switch_to.frame(frame[0])
    if rows is not None:
        WebDriverWait(driver, 15).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#list li")) == rows)


def labels(driver):
    return [element.text for element in driver.find_elements(By.CSS_SELECTOR, "#list label")]


def row(driver, title):
    return next(item for item in driver.find_elements(By.CSS_SELECTOR, "#list li") if item.find_element(By.TAG_NAME, "label").text == title)


def wait(driver, predicate, timeout=10):
    return WebDriverWait(driver, timeout, ignored_exceptions=(StaleElementReferenceException, StopIteration)).until(predicate)


def host_log(driver):
    driver.switch_to.default_content()
    log = driver.execute_script("return window.__log")
    assert driver.execute_script("return window.__hostError || null") is None
    return log


def test_the_widget_renders_the_persons_todos_ticks_one_and_loads_more(people, browser, screenshots):
    server, alice, _ = people
    errand = create(server, alice, "Buy oat milk", dueDate=day(0), priority="high", tags=["errands"])
    create(server, alice, "File the tax return", dueDate=day(-3), notes="Forms are in the blue folder.")
    create(server, alice, XSS_TITLE, dueDate=day(2), notes="<b>not bold</b>")
    create(server, alice, "Call the plumber", dueDate=day(9), priority="low", tags=["home", "calls"])
    create(server, alice, "Read the lease")
    create(server, alice, "Plan the trip")
    host = WidgetHost(server.base, alice)
    try:
        arguments = {"limit": 4}
        open_widget(browser, host.url(arguments=arguments), rows=4)
        shown = labels(browser)
        _, _, listed = call(server, alice, "list_todos", arguments)
        assert shown == [t["title"] for t in listed["result"]["structuredContent"]["todos"]]

        # Markup in a title is text: no element made, no script run.
        assert XSS_TITLE in shown
        assert browser.find_elements(By.CSS_SELECTOR, "#list img, #list b") == []
        assert browser.execute_script("return window.__pwned === undefined")
        assert row(browser, XSS_TITLE).find_element(By.CSS_SELECTOR, ".notes").text == "<b>not bold</b>"

        # Only the host is heard: a message the frame posts to itself changes nothing.
        browser.execute_script(
            "window.postMessage({jsonrpc: '2.0', method: 'ui/notifications/tool-result', params: {structuredContent: {todos: [{id: 'x', title: 'Forged'}], nextCursor: null}}}, '*')"
        )
        browser.execute_script("return new Promise(resolve => setTimeout(resolve, 100))")
        assert labels(browser) == shown

        # Dates, priority, tags and notes, in words.
        assert row(browser, "Buy oat milk").find_element(By.CSS_SELECTOR, ".due").text == "Today"
        assert row(browser, "File the tax return").find_element(By.CSS_SELECTOR, ".due").text.startswith("Overdue")
        assert "High priority" in row(browser, "Buy oat milk").text and "#errands" in row(browser, "Buy oat milk").text
        assert row(browser, "File the tax return").find_element(By.CSS_SELECTOR, ".notes").text == "Forms are in the blue folder."

        # Every box is named by its todo's title, for screen readers.
        names = browser.execute_script("return [...document.querySelectorAll('#list input[type=checkbox]')].map(box => box.labels.length === 1 ? box.labels[0].textContent : null)")
        assert names == shown
        assert browser.execute_script("return document.getElementById('list').getAttribute('role')") == "list"

        # Ticked by keyboard: the todo is completed on the server.
        box = row(browser, "Buy oat milk").find_element(By.CSS_SELECTOR, "input")
        box.send_keys(Keys.SPACE)
        wait(browser, lambda d: "done" in row(d, "Buy oat milk").get_attribute("class") and row(d, "Buy oat milk").get_attribute("aria-busy") is None)
        assert todo(server, alice, errand)["structuredContent"]["completed"] is True

        # "Load more" follows the cursor with the same filters, and the focus moves to the first new todo.
        browser.find_element(By.ID, "more").click()
        wait(browser, lambda d: len(labels(d)) == 6)
        assert browser.execute_script("return document.activeElement === document.querySelectorAll('#list input')[4]")
        assert browser.find_element(By.ID, "more").is_displayed() is False
        assert len(set(labels(browser))) == 6

        # The host's font and a frame no wider than a phone.
        assert "DejaVu Sans" in browser.execute_script("return getComputedStyle(document.body).fontFamily")
        assert browser.execute_script("return document.documentElement.scrollWidth <= document.documentElement.clientWidth")
        violations = browser.execute_script("return window.__csp")
        assert violations == [], f"the view tried to load something: {violations}"

        log = host_log(browser)
        sequence = [(m["dir"], m.get("method") or ("result" if "result" in m else "error")) for m in log]
        start = sequence.index(("view->host", "ui/initialize"))
        assert sequence[start:start + 5] == [
            ("view->host", "ui/initialize"), ("host->view", "result"), ("view->host", "ui/notifications/initialized"),
            ("host->view", "ui/notifications/tool-input"), ("host->view", "ui/notifications/tool-result"),
        ]
        initialize = log[start]
        assert initialize["params"]["protocolVersion"] == "2026-01-26" and "appCapabilities" in initialize["params"]
        calls = [m["params"] for m in log if m.get("method") == "tools/call"]
        assert calls == [{"name": "complete_todo", "arguments": {"id": errand}}, {"name": "list_todos", "arguments": {"limit": 4, "cursor": calls[1]["arguments"]["cursor"]}}]
        assert any(m.get("method") == "ui/notifications/size-changed" for m in log)
        frame_height = browser.execute_script("return document.getElementById('app').getBoundingClientRect().height")
        assert frame_height > 300, f"the host did not follow the view's size: {frame_height}px"

        # No request but the host's own: the page, and its relayed MCP calls.
        assert set(host.paths) <= {"/", "/mcp", "/favicon.ico"}, host.paths
        requests = [json.loads(entry["message"])["message"] for entry in browser.get_log("performance")]
        urls = [m["params"]["request"]["url"] for m in requests if m["method"] == "Network.requestWillBeSent"]
        assert all(url.startswith(host.base + "/") for url in urls), urls
    finally:
        host.close()


def test_a_failed_tick_is_undone_and_another_persons_todo_stays_theirs(people, browser):
    server, alice, bob = people
    bobs = create(server, bob, "Bob's secret errand")
    mine = create(server, alice, "Water the plants")
    host = WidgetHost(server.base, alice)
    try:
        open_widget(browser, host.url(arguments={"query": "plants"}), rows=1)
        assert browser.find_element(By.ID, "heading").text == "Todos matching “plants”"

        # The host refuses the call (a JSON-RPC error): the box goes back, and the reason shows.
        browser.switch_to.default_content()
        browser.execute_script("window.__deny.add('complete_todo')")
        browser.switch_to.frame(browser.find_element(By.ID, "app"))
        row(browser, "Water the plants").find_element(By.CSS_SELECTOR, "input").click()
        wait(browser, lambda d: d.find_element(By.ID, "notice").is_displayed())
        assert "The host did not allow this call." in browser.find_element(By.ID, "notice").text
        assert row(browser, "Water the plants").find_element(By.CSS_SELECTOR, "input").is_selected() is False
        assert todo(server, alice, mine)["structuredContent"]["completed"] is False

        # A result naming Bob's todo (as a compromised model or host might send): ticking it is
        # refused by the server under Alice's token, undone on screen, and Bob's todo stays open.
        browser.switch_to.default_content()
        browser.execute_script("window.__deny.clear()")
        forged = {"id": bobs, "title": "<i>Bob's</i> secret errand", "notes": None, "dueDate": None, "priority": "normal", "tags": [], "completed": False}
        browser.execute_script(
            "window.__toView({jsonrpc: '2.0', method: 'ui/notifications/tool-result', params: {content: [], structuredContent: {todos: [arguments[0]], nextCursor: null}}})",
            forged,
        )
        browser.switch_to.frame(browser.find_element(By.ID, "app"))
        bobs_title = "<i>Bob's</i> secret errand"
        wait(browser, lambda d: labels(d) == [bobs_title])
        row(browser, bobs_title).find_element(By.CSS_SELECTOR, "input").click()
        wait(browser, lambda d: d.find_element(By.ID, "notice").is_displayed())
        notice = browser.find_element(By.ID, "notice")
        assert notice.text.startswith(f"Could not complete “{bobs_title}”:") and "no todo" in notice.text.lower()
        assert browser.find_elements(By.CSS_SELECTOR, "#notice i, #list i") == []
        assert row(browser, bobs_title).find_element(By.CSS_SELECTOR, "input").is_selected() is False
        assert "done" not in row(browser, bobs_title).get_attribute("class")
        assert todo(server, bob, bobs)["structuredContent"]["completed"] is False
    finally:
        host.close()


def test_a_tick_waiting_for_the_host_survives_a_theme_change_and_a_second_click(people, browser):
    """The host holds the call (as when it asks the person first); meanwhile the theme changes and
    the box is clicked again. The refusal then undoes the row on screen, and only one call was made."""
    server, alice, _ = people
    mine = create(server, alice, "Sort the recycling", tags=["held"])
    host = WidgetHost(server.base, alice)
    try:
        open_widget(browser, host.url(arguments={"tag": "held"}), rows=1)
        browser.switch_to.default_content()
        browser.execute_script("window.__hold = true")
        browser.switch_to.frame(browser.find_element(By.ID, "app"))
        box = row(browser, "Sort the recycling").find_element(By.CSS_SELECTOR, "input")
        box.click()
        wait(browser, lambda d: row(d, "Sort the recycling").get_attribute("aria-busy") == "true")
        assert box.is_selected() and "done" in row(browser, "Sort the recycling").get_attribute("class")
        box.click()  # a second click while the first waits: ignored, the box stays ticked
        assert box.is_selected()

        browser.switch_to.default_content()
        browser.execute_script("window.__toView({jsonrpc: '2.0', method: 'ui/notifications/host-context-changed', params: {theme: 'dark'}})")
        browser.switch_to.frame(browser.find_element(By.ID, "app"))
        wait(browser, lambda d: d.execute_script("return document.documentElement.dataset.theme") == "dark")
        assert box.is_selected(), "the row survived the theme change"
        assert browser.execute_script("return document.activeElement") == box, "the focus stayed on the box"

        browser.switch_to.default_content()
        browser.execute_script("window.__deny.add('complete_todo'); window.__hold = false; window.__release()")
        browser.switch_to.frame(browser.find_element(By.ID, "app"))
        wait(browser, lambda d: d.find_element(By.ID, "notice").is_displayed())
        assert row(browser, "Sort the recycling").find_element(By.CSS_SELECTOR, "input").is_selected() is False
        assert row(browser, "Sort the recycling").get_attribute("aria-busy") is None
        assert todo(server, alice, mine)["structuredContent"]["completed"] is False
        calls = [m for m in host_log(browser) if m.get("method") == "tools/call"]
        assert len(calls) == 1, calls
    finally:
        host.close()


def test_the_widget_works_in_a_legacy_session_and_from_a_result_alone(people, browser):
    server, alice, _ = people
    chore = create(server, alice, "Take out the bins", tags=["legacy"])
    host = WidgetHost(server.base, alice)
    try:
        # This host also echoes the view's own calls as tool results: the list stays as it is.
        open_widget(browser, host.url(era="legacy", arguments={"tag": "legacy"}, echo=True), rows=1)
        row(browser, "Take out the bins").find_element(By.CSS_SELECTOR, "input").click()
        wait(browser, lambda d: "done" in row(d, "Take out the bins").get_attribute("class") and row(d, "Take out the bins").get_attribute("aria-busy") is None)
        assert todo(server, alice, chore)["structuredContent"]["completed"] is True
        assert labels(browser) == ["Take out the bins"] and not browser.find_element(By.ID, "state").is_displayed()
        capabilities = (host_log(browser), browser.execute_script("return window.__serverCapabilities"))[1]
        assert capabilities["extensions"] == {"io.modelcontextprotocol/ui": {}}

        # A host may replay a stored result without the tool's input: it still renders (no paging).
        open_widget(browser, host.url(arguments={"status": "completed", "tag": "legacy"}, tool_input=False), rows=1)
        assert labels(browser) == ["Take out the bins"] and browser.find_element(By.ID, "heading").text == "Todos"
        assert row(browser, "Take out the bins").find_element(By.CSS_SELECTOR, "input").is_selected()
    finally:
        host.close()


def test_loading_empty_error_and_cancelled_states(people, browser):
    server, alice, _ = people
    host = WidgetHost(server.base, alice)
    try:
        # Until the result comes, it says it is loading (and is busy for screen readers).
        open_widget(browser, host.url(result=False))
        assert browser.find_element(By.ID, "state").text == "Loading your todos…"
        assert browser.find_element(By.ID, "app").get_attribute("aria-busy") == "true"

        # No match: said in words, not an empty box; the query in the heading is text.
        open_widget(browser, host.url(arguments={"query": "<i>nothing</i> will match this"}))
        wait(browser, lambda d: d.find_element(By.ID, "state").text == "No todos match.")
        assert browser.find_element(By.ID, "app").get_attribute("aria-busy") == "false"
        assert browser.find_element(By.ID, "heading").text == "Todos matching “<i>nothing</i> will match this”"
        assert browser.find_elements(By.CSS_SELECTOR, "#heading i") == []

        # A failed tool and a cancelled call show what happened; markup in the message stays text.
        for message, expected in [
            ({"content": [{"type": "text", "text": "<b>Invalid cursor</b>: start again."}], "isError": True}, "<b>Invalid cursor</b>: start again."),
            ("cancelled", "The request was cancelled."),
        ]:
            browser.switch_to.default_content()
            if message == "cancelled":
                browser.execute_script("window.__toView({jsonrpc: '2.0', method: 'ui/notifications/tool-cancelled', params: {reason: 'user'}})")
            else:
                browser.execute_script("window.__toView({jsonrpc: '2.0', method: 'ui/notifications/tool-result', params: arguments[0]})", message)
            browser.switch_to.frame(browser.find_element(By.ID, "app"))
            wait(browser, lambda d: d.find_element(By.ID, "state").text == expected)
            assert "error" in browser.find_element(By.ID, "state").get_attribute("class")
            assert browser.find_elements(By.CSS_SELECTOR, "#state b") == []

        # complete_todos' result: the todos it completed, and the ids that named none.
        browser.switch_to.default_content()
        browser.execute_script(
            "window.__toView({jsonrpc: '2.0', method: 'ui/notifications/tool-result', params: {content: [], structuredContent: arguments[0]}})",
            {"completed": [{"id": "t_done", "title": "Sent the forms", "completed": True, "tags": []}], "notFound": ["t_missing"]},
        )
        browser.switch_to.frame(browser.find_element(By.ID, "app"))
        wait(browser, lambda d: labels(d) == ["Sent the forms"])
        assert browser.find_element(By.ID, "heading").text == "Completed"
        assert browser.find_element(By.ID, "notice").text == "1 id named no todo."
        assert row(browser, "Sent the forms").find_element(By.CSS_SELECTOR, "input").is_selected()

        # A host that offers no tool calls gets a list to read, not boxes that would fail.
        create(server, alice, "Read only here", tags=["readonly"])
        open_widget(browser, host.url(arguments={"tag": "readonly"}, tools=False), rows=1)
        assert row(browser, "Read only here").find_element(By.CSS_SELECTOR, "input").is_enabled() is False

        # The view answers the host's ping and teardown.
        browser.switch_to.default_content()
        browser.execute_script(
            "window.__toView({jsonrpc: '2.0', id: 'p1', method: 'ping'}); window.__toView({jsonrpc: '2.0', id: 't1', method: 'ui/resource-teardown', params: {}})"
        )
        WebDriverWait(browser, 5).until(
            lambda d: {m.get("id") for m in d.execute_script("return window.__log") if m["dir"] == "view->host" and "result" in m} >= {"p1", "t1"}
        )
    finally:
        host.close()


@pytest.fixture(scope="module")
def carol(people):
    """A third person whose list is made once for every screenshot; returns her token and the id of one todo."""
    server = people[0]
    token = OAuthSession(server.base, "carol@example.com").access_token
    create(server, token, "Buy oat milk", dueDate=day(0), priority="high", tags=["errands"])
    create(server, token, "File the tax return", dueDate=day(-3), notes="Forms are in the blue folder.")
    done = create(server, token, "Book the dentist", dueDate=day(1))
    create(server, token, "Call the plumber about the kitchen tap", dueDate=day(9), priority="low", tags=["home", "calls"])
    lease = create(server, token, "Read the lease")
    call(server, token, "complete_todo", {"id": done})
    return token, lease


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize(("width", "size"), [("phone", PHONE), ("desktop", DESKTOP)])
def test_screenshots(people, carol, browser, screenshots, theme, width, size):
    """Phone and desktop, light and dark, one todo ticked: the host's theme is followed, nothing
    overflows, and unticking reopens the todo."""
    server, (token, lease) = people[0], carol
    host = WidgetHost(server.base, token)
    try:
        browser.set_window_size(*size)
        open_widget(browser, host.url(theme=theme, arguments={"status": "all", "limit": 4}), rows=4)
        lease_row = lambda d: row(d, "Read the lease")
        lease_row(browser).find_element(By.CSS_SELECTOR, "input").click()
        wait(browser, lambda d: "done" in lease_row(d).get_attribute("class") and lease_row(d).get_attribute("aria-busy") is None)
        colour = browser.execute_script("return getComputedStyle(document.body).color")
        channels = [int(part) for part in colour[colour.index("(") + 1:colour.index(")")].split(",")[:3]]
        assert (sum(channels) > 450) == (theme == "dark"), f"{theme} theme gives text colour {colour}"
        assert browser.execute_script("return document.documentElement.scrollWidth <= document.documentElement.clientWidth")
        browser.switch_to.default_content()
        WebDriverWait(browser, 5).until(
            lambda d: d.execute_script("const f = document.getElementById('app'); return f.getBoundingClientRect().height > 200")
        )
        errors = [entry for entry in browser.get_log("browser") if entry["level"] in ("SEVERE", "ERROR")]
        assert not errors, errors
        browser.save_screenshot(os.path.join(screenshots, f"widget-{width}-{theme}.png"))
        browser.find_element(By.ID, "app").screenshot(os.path.join(screenshots, f"widget-{width}-{theme}-frame.png"))

        # The frame is as tall as the view: nothing to scroll inside it.
        browser.switch_to.frame(browser.find_element(By.ID, "app"))
        assert browser.execute_script("return document.documentElement.scrollHeight <= window.innerHeight + 1")
        lease_row(browser).find_element(By.CSS_SELECTOR, "input").click()
        wait(browser, lambda d: "done" not in lease_row(d).get_attribute("class") and lease_row(d).get_attribute("aria-busy") is None)
        assert todo(server, token, lease)["structuredContent"]["completed"] is False
    finally:
        host.close()
