"""Shared parts of the hardening suite: starting the binary, a raw HTTP/1.1 client, the sign-in flow,
MCP calls in both protocol eras, and the pass/fail report.

Standard library only, so the scripts run with any Python 3.9+ and no virtualenv.
"""

import argparse
import atexit
import base64
import ctypes
import hashlib
import html.parser
import itertools
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import traceback
import urllib.parse
from dataclasses import dataclass, field

MODERN = "2026-07-28"
LEGACY = "2025-03-26"
REDIRECT_URI = "http://127.0.0.1:9/cb"
SCOPES = "todos:read todos:write"
ACCEPT_BOTH = "application/json, text/event-stream"
META = {"io.modelcontextprotocol/protocolVersion": MODERN, "io.modelcontextprotocol/clientCapabilities": {}}

# MARK: Command line


def parse_arguments(description, add_options=None):
    """The options every script takes: --binary, --quick and --keep, plus the script's own."""
    parser = argparse.ArgumentParser(description=description)
    default_binary = os.environ.get("TODO_SERVER_BINARY") or os.path.join(os.path.dirname(__file__), "..", ".build", "debug", "todo-server")
    parser.add_argument("--binary", default=default_binary, help="the todo-server executable (default: .build/debug/todo-server)")
    parser.add_argument("--quick", action="store_true", help="the shorter form for CI")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folders (databases, server logs)")
    if add_options:
        add_options(parser)
    arguments = parser.parse_args()
    arguments.binary = os.path.abspath(arguments.binary)
    if not os.access(arguments.binary, os.X_OK):
        parser.error(f"--binary {arguments.binary} is not an executable file")
    return arguments


def stop_cleanly_on_signals():
    """Turns SIGTERM and SIGINT (Ctrl-C, even when started in the background) into KeyboardInterrupt in
    the main thread, so `finally` blocks stop the servers."""

    def handler(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


# MARK: Report


class Report:
    """Counts cases; prints one line per failure and a final summary line."""

    def __init__(self, name):
        self.name = name
        self.passed = 0
        self.failed = 0
        self.lock = threading.Lock()
        self.printed_failures = 0
        self.max_printed = None

    def ok(self):
        with self.lock:
            self.passed += 1

    def fail(self, case, expected, got, count=1):
        """Records `count` failed cases under one printed line."""
        with self.lock:
            self.failed += count
            if self.max_printed is not None and self.printed_failures >= self.max_printed:
                return
            self.printed_failures += 1
            print(f"FAIL {case}: expected {expected}; got {shorten(str(got))}", flush=True)

    def check(self, case, condition, expected, got):
        if condition:
            self.ok()
        else:
            self.fail(case, expected, got)
        return condition

    def finish(self):
        hidden = self.failed - self.printed_failures
        if hidden > 0:
            print(f"({hidden} more failures not printed)")
        print(f"{self.name}: {self.passed} passed, {self.failed} failed", flush=True)
        return 0 if self.failed == 0 else 1


def shorten(text, limit=300):
    text = text.replace("\r", "\\r").replace("\n", "\\n")
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} chars)"


# MARK: Server


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _die_with_parent():
    """Runs in the child before exec: the server gets SIGKILL if this script dies without cleaning up."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


_running_servers = []
_temporary_folders = []


def temporary_folder(prefix, keep=False):
    folder = tempfile.mkdtemp(prefix=prefix)
    if not keep:
        _temporary_folders.append(folder)
    return folder


def _cleanup_everything():
    for server in list(_running_servers):
        server.stop()
    for folder in _temporary_folders:
        shutil.rmtree(folder, ignore_errors=True)


atexit.register(_cleanup_everything)


class ServerError(Exception):
    pass


# Settings a developer's shell may hold; the server gets only what a script sets.
SERVER_SETTINGS = {
    "HOST", "PORT", "PUBLIC_URL", "DATABASE_PATH", "LOG_LEVEL", "ALLOWED_ORIGINS", "MAX_REQUEST_BYTES", "SESSION_IDLE_TIMEOUT",
    "DEMO_MODE", "TRUSTED_PROXIES", "TOKEN_SIGNING_KEYS", "ACCESS_TOKEN_TTL", "REFRESH_TOKEN_TTL", "CLIENT_METADATA_ALLOW_LOOPBACK",
    "IDLE_TIMEOUT", "READ_TIMEOUT",
}


class Server:
    """The binary on a loopback port with a database in `folder`; start() it, stop() or kill9() it.

    Start and restart servers from the main thread only: the child is bound to the thread that
    forked it (PR_SET_PDEATHSIG).
    """

    def __init__(self, binary, folder, port=None, settings=None, name="server"):
        self.binary = binary
        self.folder = folder
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.database = os.path.join(folder, "todo.sqlite")
        self.log_path = os.path.join(folder, f"{name}.log")
        self.settings = settings or {}
        self.process = None
        self.log = None

    @property
    def pid(self):
        return self.process.pid if self.process else None

    @property
    def resource(self):
        return self.base + "/"

    def environment(self):
        environment = {key: value for key, value in os.environ.items() if key not in SERVER_SETTINGS}
        environment.update(
            HOST="127.0.0.1",
            PORT=str(self.port),
            PUBLIC_URL=self.base,
            DATABASE_PATH=self.database,
            DEMO_MODE="true",
            LOG_LEVEL="warning",
        )
        environment.update({key: str(value) for key, value in self.settings.items()})
        return environment

    def start(self, timeout=60):
        self.log = open(self.log_path, "a")
        self.process = subprocess.Popen(
            [self.binary, "serve"],
            env=self.environment(),
            cwd=self.folder,
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
        _running_servers.append(self)
        self.wait_until_healthy(timeout)
        return self

    def wait_until_healthy(self, timeout):
        deadline = time.monotonic() + timeout
        last = "no answer"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServerError(f"todo-server exited with {self.process.returncode} while starting; log:\n{self.log_tail()}")
            try:
                answer = Connection(self.port, timeout=2).request("GET", "/health", close=True)
                if answer.status == 200:
                    return
                last = f"HTTP {answer.status} {shorten(answer.text, 200)}"
            except (OSError, NoResponse) as error:
                last = str(error)
            time.sleep(0.1)
        raise ServerError(f"todo-server did not answer GET /health with 200 within {timeout} s ({last}); log:\n{self.log_tail()}")

    def alive(self):
        return self.process is not None and self.process.poll() is None

    def kill9(self):
        if self.alive():
            self.process.kill()
        if self.process:
            self.process.wait(timeout=10)
        self._forget()

    def stop(self, timeout=15):
        """SIGTERM, then SIGKILL after `timeout`; returns the exit status."""
        if self.process is None:
            return None
        if self.alive():
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        status = self.process.returncode
        self._forget()
        return status

    def _forget(self):
        if self in _running_servers:
            _running_servers.remove(self)
        if self.log:
            self.log.close()
            self.log = None

    def rss_kb(self):
        with open(f"/proc/{self.pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        raise ServerError("VmRSS not found")

    def fd_count(self):
        return len(os.listdir(f"/proc/{self.pid}/fd"))

    def log_tail(self, lines=30):
        try:
            with open(self.log_path, errors="replace") as log:
                return "".join(log.readlines()[-lines:])
        except OSError:
            return "(no log)"


# MARK: HTTP


class Counter:
    """A thread-safe tally."""

    def __init__(self):
        self.value = 0
        self.lock = threading.Lock()

    def add(self, amount=1):
        with self.lock:
            self.value += amount


requests_sent = Counter()


class NoResponse(Exception):
    """The exchange ended without a complete response. `kind` is closed, reset, timeout or refused."""

    def __init__(self, kind, detail=""):
        super().__init__(f"{kind}{': ' + detail if detail else ''}")
        self.kind = kind


@dataclass
class Response:
    status: int
    reason: str
    headers: list
    body: bytes
    elapsed: float = 0.0
    keep_alive: bool = True
    _json: object = field(default=None, repr=False)

    def header(self, name):
        name = name.lower()
        for key, value in self.headers:
            if key.lower() == name:
                return value
        return None

    def header_values(self, name):
        name = name.lower()
        return [value for key, value in self.headers if key.lower() == name]

    @property
    def text(self):
        return self.body.decode("utf-8", errors="replace")

    def json(self):
        """The JSON body (also the data of a single SSE event), or None."""
        if self._json is None:
            text = self.text
            if (self.header("content-type") or "").startswith("text/event-stream"):
                text = "".join(line[5:].strip() for line in text.splitlines() if line.startswith("data:"))
            try:
                self._json = json.loads(text)
            except ValueError:
                self._json = False
        return self._json if self._json is not False else None

    def summary(self):
        return f"HTTP {self.status} {shorten(self.text, 240)}"


def _as_bytes(value):
    return value if isinstance(value, bytes) else str(value).encode("utf-8")


class _Reader:
    """Reads an HTTP/1.1 response from a socket under one deadline."""

    def __init__(self, sock, deadline):
        self.sock = sock
        self.deadline = deadline
        self.buffer = b""
        self.received_any = False

    def _fill(self):
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise NoResponse("timeout", "no complete response in time")
        self.sock.settimeout(remaining)
        try:
            chunk = self.sock.recv(65536)
        except socket.timeout:
            raise NoResponse("timeout", "no complete response in time") from None
        except ConnectionResetError:
            raise NoResponse("reset", "connection reset by the server") from None
        if not chunk:
            return False
        self.received_any = True
        self.buffer += chunk
        return True

    def until(self, marker, limit):
        while marker not in self.buffer:
            if len(self.buffer) > limit:
                raise NoResponse("closed", "response head too large")
            if not self._fill():
                raise NoResponse("closed", "connection closed before a complete response" if self.received_any else "connection closed without a response")
        head, self.buffer = self.buffer.split(marker, 1)
        return head

    def exactly(self, count):
        while len(self.buffer) < count:
            if not self._fill():
                raise NoResponse("closed", "connection closed inside the body")
        data, self.buffer = self.buffer[:count], self.buffer[count:]
        return data

    def rest(self):
        while self._fill():
            pass
        data, self.buffer = self.buffer, b""
        return data

    def response(self, method):
        while True:
            head = self.until(b"\r\n\r\n", 1 << 20).decode("latin-1")
            lines = head.split("\r\n")
            parts = lines[0].split(" ", 2)
            if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
                raise NoResponse("closed", f"not an HTTP response: {lines[0][:80]!r}")
            version, status, reason = parts[0], int(parts[1]), parts[2] if len(parts) > 2 else ""
            headers = []
            for line in lines[1:]:
                name, _, value = line.partition(":")
                headers.append((name.strip(), value.strip()))
            if 100 <= status < 200 and status != 101:
                continue
            answer = Response(status, reason, headers, b"")
            answer.body = self._body(method, answer)
            answer.keep_alive = version == "HTTP/1.1" and (answer.header("connection") or "").lower() != "close"
            return answer

    def _body(self, method, answer):
        if method == "HEAD" or answer.status in (204, 304):
            return b""
        if "chunked" in (answer.header("transfer-encoding") or "").lower():
            body = b""
            while True:
                size = int(self.until(b"\r\n", 1024).split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.until(b"\r\n", 65536)  # no trailers are expected: the empty line
                    return body
                body += self.exactly(size)
                self.exactly(2)
        length = answer.header("content-length")
        if length is not None:
            return self.exactly(int(length))
        return self.rest()


class Connection:
    """One HTTP/1.1 connection to the server, kept alive between requests.

    Headers are (name, value) pairs sent exactly as given, so duplicates and odd values are possible.
    Host and Content-Length are added unless given (pass `host=False` to send no Host).
    """

    def __init__(self, port, timeout=15, host="127.0.0.1"):
        self.port = port
        self.host = host
        self.timeout = timeout
        self.sock = None

    def connect(self):
        if self.sock is None:
            try:
                self.sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
            except ConnectionRefusedError:
                raise NoResponse("refused", f"nothing listens on port {self.port}") from None
            except socket.timeout:
                raise NoResponse("timeout", "connect timed out") from None
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return self.sock

    def close(self):
        if self.sock is not None:
            try:
                self.sock.close()
            finally:
                self.sock = None

    def request(self, method, target, body=b"", headers=(), host=True, close=False, timeout=None):
        headers = list(headers)
        names = {name.lower() for name, _ in headers}
        body = _as_bytes(body)
        if host and "host" not in names:
            headers.insert(0, ("Host", f"127.0.0.1:{self.port}"))
        if "content-length" not in names and "transfer-encoding" not in names and (body or method in ("POST", "PUT", "PATCH")):
            headers.append(("Content-Length", str(len(body))))
        if close and "connection" not in names:
            headers.append(("Connection", "close"))
        head = _as_bytes(method) + b" " + _as_bytes(target) + b" HTTP/1.1\r\n"
        head += b"".join(_as_bytes(name) + b": " + _as_bytes(value) + b"\r\n" for name, value in headers) + b"\r\n"
        try:
            return self.exchange(head + body, method, timeout)
        finally:
            if close:
                self.close()

    def exchange(self, data, method="GET", timeout=None):
        """Sends raw bytes and reads one response. A large body is sent while the answer is read,
        so an early refusal (413) is seen even when the server stops reading."""
        started = time.monotonic()
        deadline = started + (timeout or self.timeout)
        requests_sent.add()
        sock = self.connect()
        reader = _Reader(sock, deadline)
        try:
            if len(data) <= 256 * 1024:
                self._send(sock, data, deadline)
                answer = reader.response(method)
            else:
                answer = self._send_while_reading(sock, data, reader, method, deadline)
        except NoResponse:
            self.close()
            raise
        answer.elapsed = time.monotonic() - started
        if not answer.keep_alive:
            self.close()
        return answer

    @staticmethod
    def _send(sock, data, deadline):
        try:
            sock.settimeout(max(0.01, deadline - time.monotonic()))
            sock.sendall(data)
        except socket.timeout:
            raise NoResponse("timeout", "the server stopped reading the request") from None
        except (BrokenPipeError, ConnectionResetError) as error:
            raise NoResponse("reset", f"while sending: {error}") from None

    def _send_while_reading(self, sock, data, reader, method, deadline):
        def send():
            view = memoryview(data)
            try:
                while view and time.monotonic() < deadline:
                    try:
                        view = view[sock.send(view[:65536]) :]
                    except socket.timeout:
                        continue
            except OSError:
                pass  # the server stopped reading; its answer, if any, is read below

        sender = threading.Thread(target=send, daemon=True)
        sock.settimeout(1)
        sender.start()
        try:
            return reader.response(method)
        finally:
            sender.join(timeout=max(0.1, deadline - time.monotonic()))


def http(port, method, target, body=b"", headers=(), timeout=15):
    """One request on a fresh connection."""
    return Connection(port, timeout=timeout).request(method, target, body, headers, close=True)


# MARK: Simulated clients


class Addresses:
    """X-Forwarded-For addresses 10.a.b.c, each simulated client its own (rate limits are per client)."""

    def __init__(self, pool=None, start=1):
        self.counter = itertools.count(start)
        self.pool = pool
        self.lock = threading.Lock()

    def next(self):
        with self.lock:
            number = next(self.counter)
        if self.pool:
            number = number % self.pool + 1
        return f"10.{(number >> 16) & 255}.{(number >> 8) & 255}.{number & 255}"


class FormParser(html.parser.HTMLParser):
    """The hidden inputs of each form and the text of the element with id="demo-code"."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms = []
        self.in_form = False
        self.in_demo = False
        self.demo_code = ""

    def handle_starttag(self, tag, attributes):
        attributes = dict(attributes)
        if tag == "form":
            self.forms.append([])
            self.in_form = True
        elif tag == "input" and self.in_form and attributes.get("type") == "hidden" and attributes.get("name"):
            self.forms[-1].append((attributes["name"], attributes.get("value") or ""))
        if attributes.get("id") == "demo-code":
            self.in_demo = True

    def handle_endtag(self, tag):
        if tag == "form":
            self.in_form = False
        self.in_demo = False

    def handle_data(self, data):
        if self.in_demo:
            self.demo_code += data.strip()


def parse_page(page):
    parser = FormParser()
    parser.feed(page)
    return parser


class Browser:
    """A cookie-keeping client that never follows redirects, speaking for one client address."""

    def __init__(self, port, address=None, timeout=15):
        self.connection = Connection(port, timeout=timeout)
        self.address = address
        self.cookies = {}

    def close(self):
        self.connection.close()

    def headers(self, extra=()):
        headers = list(extra)
        if self.address:
            headers.append(("X-Forwarded-For", self.address))
        if self.cookies:
            headers.append(("Cookie", "; ".join(f"{name}={value}" for name, value in self.cookies.items())))
        return headers

    def request(self, method, target, body=b"", headers=()):
        answer = self.connection.request(method, target, body, self.headers(headers))
        self.keep_cookies(answer)
        return answer

    def keep_cookies(self, answer):
        for value in answer.header_values("set-cookie"):
            pair, *attributes = value.split(";")
            name, _, content = pair.strip().partition("=")
            if any(attribute.strip().lower() == "max-age=0" for attribute in attributes):
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = content

    def get(self, target):
        return self.request("GET", target)

    def form(self, target, fields, headers=()):
        body = urllib.parse.urlencode(fields).encode()
        return self.request("POST", target, body, [("Content-Type", "application/x-www-form-urlencoded")] + list(headers))

    def json(self, target, value):
        return self.request("POST", target, json.dumps(value).encode(), [("Content-Type", "application/json")])


def pkce_pair():
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


class FlowError(Exception):
    """A sign-in step answered otherwise than the flow expects."""

    def __init__(self, step, expected, answer):
        got = answer.summary() if isinstance(answer, Response) else str(answer)
        super().__init__(f"sign-in step '{step}': expected {expected}; got {got}")
        self.step = step


@dataclass
class Tokens:
    access: str
    refresh: str
    client_id: str
    scope: str
    email: str


def register_client(browser, name="harden", redirect_uris=(REDIRECT_URI,)):
    answer = browser.json("/oauth/register", {"client_name": name, "redirect_uris": list(redirect_uris)})
    if answer.status != 201 or not (answer.json() or {}).get("client_id"):
        raise FlowError("register", "201 with a client_id", answer)
    return answer.json()["client_id"]


def authorize_query(server_base, client_id, challenge, state="harden-state", scope=SCOPES, redirect_uri=REDIRECT_URI, **overrides):
    parameters = {
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "response_type": "code",
        "state": state,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "scope": scope,
        "resource": server_base + "/",
    }
    parameters.update(overrides)
    return "/oauth/authorize?" + urllib.parse.urlencode({key: value for key, value in parameters.items() if value is not None})


def first_form(answer, step):
    forms = parse_page(answer.text).forms
    if not forms:
        raise FlowError(step, "a page with a form", answer)
    return forms[0]


def log_in(browser, email, authorize_target):
    """The e-mail, code and consent pages; returns the redirect's query parameters."""
    page = browser.get(authorize_target)
    if page.status == 200 and 'name="email"' in page.text and 'id="demo-code"' not in page.text and 'name="approve"' not in page.text:
        page = browser.form("/oauth/authorize", first_form(page, "email") + [("email", email)])
        if page.status != 200:
            raise FlowError("e-mail form", "200 with the code page", page)
        code = parse_page(page.text).demo_code
        if not code:
            raise FlowError("e-mail form", 'a page with id="demo-code"', page)
        page = browser.form("/oauth/authorize", first_form(page, "code") + [("code", code)])
    if page.status == 200 and 'name="approve"' in page.text:
        page = browser.form("/oauth/authorize", first_form(page, "consent") + [("approve", "yes")])
    if page.status not in (302, 303) or not page.header("location"):
        raise FlowError("consent", "a 303 redirect to the client", page)
    query = urllib.parse.urlparse(page.header("location")).query
    return {name: values[0] for name, values in urllib.parse.parse_qs(query).items()}


def exchange_code(browser, client_id, code, verifier, redirect_uri=REDIRECT_URI):
    return browser.form(
        "/oauth/token",
        [("grant_type", "authorization_code"), ("code", code), ("redirect_uri", redirect_uri), ("code_verifier", verifier), ("client_id", client_id)],
    )


def sign_in(port, email, address=None, scope=SCOPES, client_name="harden", browser=None):
    """Registers a client and signs `email` in through the demo-mode pages; returns its tokens."""
    own_browser = browser is None
    browser = browser or Browser(port, address)
    try:
        server_base = f"http://127.0.0.1:{port}"
        client_id = register_client(browser, client_name)
        verifier, challenge = pkce_pair()
        state = secrets.token_urlsafe(12)
        parameters = log_in(browser, email, authorize_query(server_base, client_id, challenge, state=state, scope=scope))
        if parameters.get("state") != state or "code" not in parameters:
            raise FlowError("redirect", f"code and state={state}", parameters)
        answer = exchange_code(browser, client_id, parameters["code"], verifier)
        tokens = answer.json() or {}
        if answer.status != 200 or not tokens.get("access_token") or not tokens.get("refresh_token"):
            raise FlowError("token", "200 with access and refresh tokens", answer)
        return Tokens(tokens["access_token"], tokens["refresh_token"], client_id, tokens.get("scope", ""), email)
    finally:
        if own_browser:
            browser.close()


def refresh(browser, tokens):
    """Rotates the refresh token; returns the new Tokens or raises FlowError."""
    answer = browser.form("/oauth/token", [("grant_type", "refresh_token"), ("refresh_token", tokens.refresh), ("client_id", tokens.client_id)])
    body = answer.json() or {}
    if answer.status != 200 or not body.get("access_token") or not body.get("refresh_token"):
        raise FlowError("refresh", "200 with new tokens", answer)
    return Tokens(body["access_token"], body["refresh_token"], tokens.client_id, body.get("scope", ""), tokens.email)


# MARK: MCP


def rpc(method, params=None, id=1):
    message = {"jsonrpc": "2.0", "method": method}
    if id is not None:
        message["id"] = id
    if params is not None:
        message["params"] = params
    return message


def modern_params(params=None):
    params = dict(params or {})
    params["_meta"] = dict(META)
    return params


def encode_header_value(value):
    """A header value as the 2026-07-28 era sends it: as is when it is visible ASCII, else base64-wrapped."""
    if value.isascii() and value.isprintable() and value == value.strip():
        return value
    return "=?base64?" + base64.b64encode(value.encode()).decode() + "?="


def mcp_headers(token, method=None, name=None, era=MODERN, session=None, extra=()):
    headers = [("Content-Type", "application/json"), ("Accept", ACCEPT_BOTH)]
    if token:
        headers.append(("Authorization", f"Bearer {token}"))
    if era == MODERN:
        headers.append(("MCP-Protocol-Version", MODERN))
        if method:
            headers.append(("Mcp-Method", method))
        if name is not None:
            headers.append(("Mcp-Name", encode_header_value(name)))
    elif session:
        headers.append(("Mcp-Session-Id", session))
        headers.append(("MCP-Protocol-Version", era))
    return headers + list(extra)


@dataclass
class ToolOutcome:
    """What a tools/call came back with: `kind` is ok, tool_error, rpc_error or http."""

    kind: str
    value: object
    answer: Response

    @property
    def ok(self):
        return self.kind == "ok"

    def describe(self):
        if self.kind == "ok":
            return "a successful tool result"
        if self.kind == "tool_error":
            return f"tool error: {shorten(str(self.value), 200)}"
        if self.kind == "rpc_error":
            return f"JSON-RPC error {shorten(json.dumps(self.value), 200)} (HTTP {self.answer.status})"
        return self.answer.summary()


def tool_outcome(answer):
    message = answer.json()
    if answer.status != 200 or not isinstance(message, dict):
        return ToolOutcome("http", answer.status, answer)
    if "error" in message:
        return ToolOutcome("rpc_error", message["error"], answer)
    result = message.get("result") or {}
    if result.get("isError"):
        text = " ".join(part.get("text", "") for part in result.get("content", []) if isinstance(part, dict))
        return ToolOutcome("tool_error", text, answer)
    return ToolOutcome("ok", result.get("structuredContent"), answer)


class McpClient:
    """MCP calls for one access token over one kept-alive connection, in either era."""

    def __init__(self, port, token, era=MODERN, address=None, timeout=15):
        self.connection = Connection(port, timeout=timeout)
        self.token = token
        self.era = era
        self.address = address
        self.session = None
        self.ids = itertools.count(1)

    def close(self):
        self.connection.close()

    def _extra(self):
        return [("X-Forwarded-For", self.address)] if self.address else []

    def post(self, message, headers):
        return self.connection.request("POST", "/", json.dumps(message).encode(), headers + self._extra())

    def call(self, method, params=None, name=None):
        """A request in this client's era (legacy: starting a session first when there is none)."""
        if self.era == MODERN:
            message = rpc(method, modern_params(params), next(self.ids))
            return self.post(message, mcp_headers(self.token, method, name))
        if self.session is None:
            self.initialize()
        return self.post(rpc(method, params, next(self.ids)), mcp_headers(self.token, era=self.era, session=self.session))

    def initialize(self, version=None):
        version = version or self.era
        message = rpc("initialize", {"protocolVersion": version, "capabilities": {}, "clientInfo": {"name": "harden", "version": "1"}}, next(self.ids))
        answer = self.post(message, mcp_headers(self.token, era=version))
        session = answer.header("mcp-session-id")
        if answer.status != 200 or not session:
            raise FlowError("initialize", "200 with an Mcp-Session-Id header", answer)
        self.session = session
        self.post(rpc("notifications/initialized", id=None), mcp_headers(self.token, era=version, session=session))
        return session

    def end_session(self):
        if self.session:
            answer = self.connection.request("DELETE", "/", b"", mcp_headers(self.token, era=self.era, session=self.session) + self._extra())
            self.session = None
            return answer
        return None

    def tool(self, name, arguments=None):
        return tool_outcome(self.call("tools/call", {"name": name, "arguments": arguments or {}}, name=name))

    def all_todos(self):
        """Every todo of the user (status all), following cursors; a dict by id."""
        todos, cursor = {}, None
        for _ in range(1000):
            arguments = {"status": "all", "limit": 200}
            if cursor:
                arguments["cursor"] = cursor
            outcome = self.tool("list_todos", arguments)
            if not outcome.ok:
                raise FlowError("list_todos", "a successful listing", outcome.describe())
            for todo in outcome.value["todos"]:
                todos[todo["id"]] = todo
            cursor = outcome.value.get("nextCursor")
            if not cursor:
                return todos
        raise FlowError("list_todos", "a listing that ends", "more than 1000 pages")


def fmt_mb(kilobytes):
    return f"{kilobytes / 1024:.1f} MB"


def run_guarded(report, body, *, expected, servers, folder, keep, errors=()):
    """Runs `body()`, reporting any failure as one line (`expected` says what setup needed to
    work), stops `servers`, says where a kept folder is, and returns the report's exit status."""
    try:
        body()
    except (ServerError, FlowError, NoResponse, OSError, *errors) as error:
        report.fail("[run]", expected, error)
    except KeyboardInterrupt:
        report.fail("[run]", "to finish", "interrupted")
    except Exception as error:
        traceback.print_exc()
        report.fail("[run]", "no error in the script", f"{type(error).__name__}: {error}")
    finally:
        for server in servers:
            server.stop()
        if keep:
            print(f"kept {folder}")
    return report.finish()
