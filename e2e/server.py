"""Starting the real todo-server binary for a test session, and talking to it over plain HTTP."""

import base64
import hashlib
import html
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """The binary on a loopback port chosen at run time, with a fresh database.

    `arguments` start it (`serve` for todo-server); it is up once `ready_path` answers 200; its MCP
    endpoint is at `mcp_path`; `extra_environment` adds settings (such as a mail relay); `prefix`
    runs it under another command (such as `taskset`).
    """

    def __init__(self, binary: str, arguments=("serve",), ready_path="/health", mcp_path="/", extra_environment=None, prefix=()):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.mcp_url = self.base + mcp_path
        self.folder = tempfile.mkdtemp(prefix="todo-e2e-")
        self.log_path = os.path.join(self.folder, "server.log")
        environment = dict(os.environ)
        environment.update(
            HOST="127.0.0.1",
            PORT=str(self.port),
            PUBLIC_URL=self.base,
            DATABASE_PATH=os.path.join(self.folder, "todo.sqlite"),
            LOG_LEVEL="info",
        )
        environment.update(extra_environment or {})
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen([*prefix, binary, *arguments], env=environment, stdout=self.log, stderr=subprocess.STDOUT, cwd=self.folder)
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(self.base + ready_path, timeout=1) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
            if self.process.poll() is not None:
                break
        raise RuntimeError(f"{binary} did not start; log:\n{open(self.log_path).read()}")

    def stop(self) -> int:
        """Stops the server with SIGTERM and returns its exit status (it must not hang)."""
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=15)
        finally:
            if self.process.poll() is None:
                self.process.kill()
            self.log.close()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@dataclass
class Answer:
    status: int
    headers: dict
    body: str

    def json(self):
        return json.loads(self.body)


class Http:
    """A tiny cookie-keeping HTTP client that never follows redirects."""

    def __init__(self, base: str, context=None):
        self.base = base
        self.cookies = urllib.request.HTTPCookieProcessor()
        handlers = [self.cookies, NoRedirect] + ([urllib.request.HTTPSHandler(context=context)] if context else [])
        self.opener = urllib.request.build_opener(*handlers)

    def request(self, method, path, body=None, headers=None) -> Answer:
        url = path if path.startswith("http") else self.base + path
        request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
        try:
            with self.opener.open(request, timeout=15) as response:
                return Answer(response.status, dict(response.headers), response.read().decode())
        except urllib.error.HTTPError as error:
            return Answer(error.code, dict(error.headers), error.read().decode())

    def form(self, path, fields):
        return self.request("POST", path, urllib.parse.urlencode(fields).encode(), {"Content-Type": "application/x-www-form-urlencoded"})

    def json_post(self, path, value):
        return self.request("POST", path, json.dumps(value).encode(), {"Content-Type": "application/json"})


def form_fields(page: str):
    """The hidden fields of a page's first form, as a browser would submit them."""
    form = page.split("<form", 1)[1].split("</form>", 1)[0]
    return [(html.unescape(n), html.unescape(v)) for n, v in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form)]


def demo_code(page: str) -> str:
    return re.search(r'id="demo-code">([A-Z0-9]+)<', page).group(1)


def pkce_pair():
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def form_action(page: str) -> str:
    """Where a page's first form posts to, as a browser reads it."""
    return html.unescape(re.search(r'<form method="post" action="([^"]*)">', page).group(1))


def sign_in(http: Http, authorize_url: str, email: str, code_for=None) -> dict:
    """Goes through the e-mail, code and consent forms; returns the redirect's query parameters.

    The code is read from the page (demo mode), or from `code_for(email)`, such as a mailbox."""
    page = http.request("GET", authorize_url)
    if page.status == 200:  # not signed in yet in this browser
        page = http.form(form_action(page.body), form_fields(page.body) + [("email", email)])
        code = code_for(email) if code_for else demo_code(page.body)
        page = http.form(form_action(page.body), form_fields(page.body) + [("code", code)])
    if page.status == 200:  # not approved yet
        page = http.form(form_action(page.body), form_fields(page.body) + [("approve", "yes")])
    assert page.status in (302, 303), (page.status, page.body[:300])
    query = urllib.parse.urlparse(page.headers["Location"]).query
    return {name: values[0] for name, values in urllib.parse.parse_qs(query).items()}


@dataclass
class OAuthSession:
    """A registered client with tokens for one user, obtained over plain HTTP."""

    server_base: str
    email: str
    redirect_uri: str = "http://127.0.0.1:9/callback"
    client_id: str = ""
    access_token: str = ""
    refresh_token: str = ""
    context: object = None  # an ssl.SSLContext for an https server with its own authority
    http: Http = field(init=False)

    def __post_init__(self):
        self.http = Http(self.server_base, self.context)
        registration = self.http.json_post("/oauth/register", {"client_name": "e2e", "redirect_uris": [self.redirect_uri]})
        assert registration.status == 201, registration.body
        self.client_id = registration.json()["client_id"]
        verifier, challenge = pkce_pair()
        parameters = sign_in(self.http, self.authorize_url(challenge), self.email)
        tokens = self.token(grant_type="authorization_code", code=parameters["code"], redirect_uri=self.redirect_uri, code_verifier=verifier)
        assert tokens.status == 200, tokens.body
        self.access_token = tokens.json()["access_token"]
        self.refresh_token = tokens.json()["refresh_token"]

    def authorize_url(self, challenge: str, state: str = "e2e-state") -> str:
        return "/oauth/authorize?" + urllib.parse.urlencode(
            {
                "response_type": "code",
                "client_id": self.client_id,
                "redirect_uri": self.redirect_uri,
                "state": state,
                "code_challenge": challenge,
                "code_challenge_method": "S256",
                "resource": self.server_base + "/",
            }
        )

    def token(self, **fields) -> Answer:
        return self.http.form("/oauth/token", list(fields.items()) + [("client_id", self.client_id)])


MODERN_META = {"io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {}}


def mcp(instance, token, method, params=None, session=None, era="2026-07-28", name=None):
    """One MCP request straight to a server (anything with `base`); returns (status, headers, parsed body or None)."""
    body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": dict(params or {})}
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
    if era == "2026-07-28":
        body["params"]["_meta"] = MODERN_META
        headers.update({"MCP-Protocol-Version": era, "Mcp-Method": method})
        if name:
            headers["Mcp-Name"] = name
    elif session:
        headers.update({"Mcp-Session-Id": session, "MCP-Protocol-Version": era})
    answer = Http(instance.base).request("POST", "/", json.dumps(body).encode(), headers)
    parsed = json.loads(answer.body) if answer.body.startswith("{") else None
    return answer.status, answer.headers, parsed


def call(instance, token, tool, arguments):
    return mcp(instance, token, "tools/call", {"name": tool, "arguments": arguments}, name=tool)
