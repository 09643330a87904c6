#!/usr/bin/env python3
"""Hostile-input matrix: a table of requests, each with the answer the server must give.

Starts the binary twice on free loopback ports (the main server, and one with IDLE_TIMEOUT=2 and
READ_TIMEOUT=2 for slow connections), signs in users through the demo-mode pages, runs every case,
then checks that the server is healthy, that two sentinel users still have exactly their todos,
and that its memory stayed bounded. Prints one line per failed case and `matrix: N passed, M failed`.

    python3 harden/matrix.py --binary .build/debug/todo-server [--quick]
"""

import json
import os
import secrets
import select
import socket
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass
from typing import Callable, Optional

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import (  # noqa: E402
    LEGACY,
    MODERN,
    REDIRECT_URI,
    Addresses,
    Browser,
    Connection,
    McpClient,
    NoResponse,
    Report,
    Server,
    ServerError,
    authorize_query,
    first_form,
    fmt_mb,
    log_in,
    mcp_headers,
    modern_params,
    parse_arguments,
    parse_page,
    pkce_pair,
    register_client,
    rpc,
    run_guarded,
    shorten,
    sign_in,
    stop_cleanly_on_signals,
    temporary_folder,
    tool_outcome,
)

MAX_REQUEST_BYTES = 1_048_576
SLOW_TIMEOUT = 2
CLOSE_WITHIN = 5.0
RSS_GROWTH_LIMIT_KB = 64 * 1024
FORM = "application/x-www-form-urlencoded"
FINAL_CHECKS = 5  # running, /health, alice's todos, bob's todos, RSS

# MARK: Cases


@dataclass
class Case:
    """One row: how to send the request, and what must come back.

    `status` is an int, a tuple of ints, or "4xx". `rpc` is a JSON-RPC error code the body must
    carry, `oauth` an OAuth `error` string, `contains` text the body must hold, `absent` texts
    neither body nor headers may hold, `tool` the kind of tool outcome (ok or tool_error), and
    `check` a function (context, response) returning a problem or None.
    """

    group: str
    name: str
    send: Callable
    status: object = 200
    rpc: Optional[int] = None
    oauth: Optional[str] = None
    contains: Optional[str] = None
    absent: tuple = ()
    tool: Optional[str] = None
    check: Optional[Callable] = None


class Context:
    """What the cases share: the server, the users' tokens, sessions and fixtures made on demand.

    Tokens by name: rw and ro are mallory's (read-write and read-only), the user whose todos the
    cases may change; alice and bob are the sentinels whose todos must stay exactly as they were;
    spare, family, grace, narrow and ro-spare are spent by the token and revocation cases.
    """

    def __init__(self, server):
        self.server = server
        self.port = server.port
        self.base = server.base
        self.addresses = Addresses()
        self.tokens = {}
        self.browsers = {}
        self.fixtures = {}
        self.sentinels = {}
        self.missing_id = "t_" + "".join(secrets.choice("0123456789abcdefghjkmnpqrstvwxyz") for _ in range(26))

    def send(self, method, target, body=b"", headers=(), timeout=20):
        headers = list(headers) + [("X-Forwarded-For", self.addresses.next())]
        return Connection(self.port, timeout=timeout).request(method, target, body, headers, close=True)

    def token(self, who):
        return self.tokens[who].access

    def fixture(self, name, make):
        if name not in self.fixtures:
            self.fixtures[name] = make()
        return self.fixtures[name]

    def client(self, who="rw", era=MODERN):
        return McpClient(self.port, self.token(who), era=era, address=self.addresses.next())

    def session(self, key):
        """A legacy session: key is `<who>-<version>`, such as rw-2025-03-26."""

        def make():
            who, version = key.split("-", 1)
            client = self.client(who, era=version)
            try:
                return client.initialize(version)
            finally:
                client.close()

        return self.fixture("session:" + key, make)

    def registered(self, name="harden", redirect_uris=(REDIRECT_URI,)):
        def make():
            browser = Browser(self.port, self.addresses.next())
            try:
                return register_client(browser, name, redirect_uris)
            finally:
                browser.close()

        return self.fixture(f"client:{name}:{redirect_uris}", make)

    def authorization_code(self, key, scope="todos:read todos:write"):
        """A fresh authorization code for mallory (signed in already, consent given): client, code, verifier."""

        def make():
            browser = self.browsers["mallory"]
            client_id = self.registered()
            verifier, challenge = pkce_pair()
            parameters = log_in(browser, "mallory@example.com", authorize_query(self.base, client_id, challenge, scope=scope))
            return {"client_id": client_id, "code": parameters["code"], "verifier": verifier}

        return self.fixture("code:" + key, make)


def as_bytes(value):
    """Bytes as they are, text as UTF-8, anything else as JSON."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode()
    return json.dumps(value, ensure_ascii=False).encode()


def resolve(value, ctx):
    return value(ctx) if callable(value) else value


# MARK: Request builders


def hdr(method="tools/list", name=None, who="rw", era=MODERN, session=None, without=(), replace=None, add=()):
    """MCP request headers for `who` (None: no Authorization), with some left out, replaced or added."""

    def build(ctx):
        base = mcp_headers(ctx.token(who) if who else None, method if era == MODERN else None, name, era, ctx.session(session) if session else None)
        dropped = {header.lower() for header in without} | {header.lower() for header in (replace or {})}
        return [(key, value) for key, value in base if key.lower() not in dropped] + list((replace or {}).items()) + list(add)

    return build


def post(body, headers=None, target="/"):
    """POST `body` (bytes, JSON value, or a function of the context) to the MCP endpoint."""

    def send(ctx):
        return ctx.send("POST", resolve(target, ctx), as_bytes(resolve(body, ctx)), (headers or hdr())(ctx))

    return send


def request(method, target, body=b"", headers=()):
    def send(ctx):
        return ctx.send(method, resolve(target, ctx), as_bytes(resolve(body, ctx)), resolve(headers, ctx))

    return send


def raw(data):
    """Raw bytes on a fresh connection, exactly as given."""

    def send(ctx):
        return Connection(ctx.port, timeout=10).exchange(resolve(data, ctx))

    return send


def modern(method="tools/list", params=None, id=1):
    return rpc(method, modern_params(params), id)


def call(tool, arguments):
    return lambda ctx: modern("tools/call", {"name": tool, "arguments": resolve(arguments, ctx)})


LIST = modern()
LIST_BYTES = json.dumps(LIST).encode()


def with_params(extra):
    body = modern()
    body["params"].update(extra)
    return body


def nested(depth):
    """A tools/list request whose params hold arrays nested so that the whole body is `depth` deep."""
    inner = depth - 2  # the message object and params
    return LIST_BYTES[:-2] + b',"deep":' + b"[" * inner + b"]" * inner + b"}}"


def legacy_body(method, params=None, id=1):
    return rpc(method, params, id)


def tool_case(name, tool, arguments, expect="tool_error", who="rw", contains=None, check=None, group="tools"):
    return Case(group, name, post(call(tool, arguments), hdr("tools/call", tool, who)), 200, tool=expect, contains=contains, check=check)


# MARK: Checks


def rpc_codes(answer):
    message = answer.json()
    messages = message if isinstance(message, list) else [message]
    return {item["error"].get("code") for item in messages if isinstance(item, dict) and isinstance(item.get("error"), dict)}


def header_has(name, text):
    def check(ctx, answer):
        value = answer.header(name) or ""
        return None if text.lower() in value.lower() else f"a {name} header containing {text!r} (got {value!r})"

    return check


def json_field(path, expected):
    def check(ctx, answer):
        value = answer.json()
        for key in path.split("."):
            value = value.get(key) if isinstance(value, dict) else None
        wanted = resolve(expected, ctx)
        return None if value == wanted else f"{path} = {wanted!r} (got {value!r})"

    return check


def location_has(*parts):
    def check(ctx, answer):
        location = answer.header("location") or ""
        query = urllib.parse.parse_qs(urllib.parse.urlparse(location).query)
        missing = [part for part in parts if ("=" in part and query.get(part.split("=")[0], [None])[0] != part.split("=", 1)[1]) or ("=" not in part and part not in query)]
        if not location.startswith(REDIRECT_URI):
            return f"a redirect to {REDIRECT_URI} (got Location {location!r})"
        return f"Location with {', '.join(missing)} (got {location!r})" if missing else None

    return check


def batch_of(count, check_each=None):
    def check(ctx, answer):
        message = answer.json()
        if not isinstance(message, list) or len(message) != count:
            return f"an array of {count} responses (got {shorten(answer.text, 120)})"
        for item in message:
            problem = check_each(item) if check_each else None
            if problem:
                return problem
        return None

    return check


def mallory_lacks(title):
    def check(ctx, answer):
        client = ctx.client("rw")
        try:
            titles = [todo["title"] for todo in client.all_todos().values()]
        finally:
            client.close()
        return f"no todo titled {title!r} to exist afterwards" if title in titles else None

    return check


def same_as_missing(tool, arguments_for, index):
    """Checks that `tool` on alice's todo number `index` answers exactly as on a todo that does not exist."""

    def check(ctx, answer):
        alice_id = ctx.fixtures["alice-ids"][index]
        missing = tool_outcome(post(call(tool, arguments_for(ctx.missing_id)), hdr("tools/call", tool))(ctx))
        mine = tool_outcome(answer)
        if mine.kind != "tool_error" or missing.kind != "tool_error":
            return f"tool errors for both ids (alice's id: {mine.describe()}; missing id: {missing.describe()})"
        if mine.value.replace(alice_id, "<id>") != missing.value.replace(ctx.missing_id, "<id>"):
            return f"the same message as for a missing id ({missing.value!r}), got {mine.value!r}"
        return None

    return check


def then(*checks):
    def check(ctx, answer):
        for each in checks:
            problem = each(ctx, answer)
            if problem:
                return problem
        return None

    return check


def resource_metadata_reachable(ctx, answer):
    challenge = answer.header("www-authenticate") or ""
    if 'resource_metadata="' not in challenge:
        return f"a WWW-Authenticate challenge with resource_metadata (got {challenge!r})"
    url = challenge.split('resource_metadata="', 1)[1].split('"', 1)[0]
    path = urllib.parse.urlparse(url).path
    metadata = ctx.send("GET", path)
    return None if metadata.status == 200 else f"resource_metadata {url} to answer 200 (got {metadata.status})"


def scope_is(expected):
    return json_field("scope", expected)


def refresh_fields(refresh_token, client_id):
    return [("grant_type", "refresh_token"), ("refresh_token", refresh_token), ("client_id", client_id)]


def bearer(ctx, access_token):
    """MCP headers for a tools/list with this access token."""
    return hdr(who=None, add=[("Authorization", "Bearer " + access_token)])(ctx)


# MARK: Groups


def transport_cases():
    g = "transport"
    cases = [
        # Authentication
        Case(g, "no Authorization", post(LIST, hdr(who=None)), 401, check=resource_metadata_reachable),
        Case(g, "Basic instead of Bearer", post(LIST, hdr(add=[("Authorization", "Basic YTpi")], who=None)), 401, oauth="invalid_token"),
        Case(g, "garbage bearer token", post(LIST, hdr(who=None, add=[("Authorization", "Bearer not-a-token")])), 401, oauth="invalid_token"),
        Case(g, "empty bearer token", post(LIST, hdr(who=None, add=[("Authorization", "Bearer ")])), 401),
        Case(g, "tampered token signature", post(LIST, lambda ctx: bearer(ctx, tamper(ctx.token("rw")))), 401, oauth="invalid_token"),
        Case(g, "refresh token as bearer", post(LIST, lambda ctx: bearer(ctx, ctx.tokens["rw"].refresh)), 401),
        Case(g, "lowercase bearer scheme", post(LIST, lambda ctx: hdr(who=None, add=[("Authorization", "bearer " + ctx.token("rw"))])(ctx)), 200),
        Case(g, "two Authorization headers", post(LIST, lambda ctx: hdr(add=[("Authorization", "Bearer " + ctx.token("bob"))])(ctx)), (400, 401)),
        Case(g, "bad token is not echoed", post(LIST, hdr(who=None, add=[("Authorization", "Bearer SECRET-echo-me-4711")])), 401, absent=("SECRET-echo-me-4711",)),
        # Content type
        Case(g, "no Content-Type", post(LIST, hdr(without=["Content-Type"])), 415, rpc=-32600),
        Case(g, "Content-Type text/plain", post(LIST, hdr(replace={"Content-Type": "text/plain"})), 415),
        Case(g, "Content-Type form", post(LIST, hdr(replace={"Content-Type": FORM})), 415),
        Case(g, "Content-Type application/jsonp", post(LIST, hdr(replace={"Content-Type": "application/jsonp"})), 415),
        Case(g, "Content-Type with charset", post(LIST, hdr(replace={"Content-Type": "application/json; charset=utf-8"})), 200),
        Case(g, "Content-Type in capitals", post(LIST, hdr(replace={"Content-Type": "APPLICATION/JSON"})), 200),
        # Accept
        Case(g, "Accept text/html", post(LIST, hdr(replace={"Accept": "text/html"})), 406),
        Case(g, "Accept application/xml", post(LIST, hdr(replace={"Accept": "application/xml"})), 406),
        Case(g, "Accept with q=0 for both", post(LIST, hdr(replace={"Accept": "application/json;q=0, text/event-stream;q=0"})), 406),
        Case(g, "Accept event stream only", post(LIST, hdr(replace={"Accept": "text/event-stream"})), 200, check=header_has("Content-Type", "text/event-stream")),
        Case(g, "no Accept", post(LIST, hdr(without=["Accept"])), 200),
        Case(g, "Accept */*", post(LIST, hdr(replace={"Accept": "*/*"})), 200),
        # Size
        Case(g, "body one byte over MAX_REQUEST_BYTES", post(LIST_BYTES + b" " * (MAX_REQUEST_BYTES + 1 - len(LIST_BYTES))), 413),
        Case(g, "body of exactly MAX_REQUEST_BYTES", post(LIST_BYTES + b" " * (MAX_REQUEST_BYTES - len(LIST_BYTES))), 200),
        Case(g, "4 MB body", post(LIST_BYTES + b" " * (4 * MAX_REQUEST_BYTES)), 413),
        Case(g, "chunked body over the limit", request("POST", "/", lambda ctx: chunked(LIST_BYTES + b" " * (MAX_REQUEST_BYTES + 10)), hdr(add=[("Transfer-Encoding", "chunked")])), 413),
        Case(g, "chunked body within the limit", request("POST", "/", lambda ctx: chunked(LIST_BYTES), hdr(add=[("Transfer-Encoding", "chunked")])), 200),
        # JSON
        Case(g, "empty body", post(b""), 400, rpc=-32700),
        Case(g, "truncated JSON", post(LIST_BYTES[:-3]), 400, rpc=-32700),
        Case(g, "trailing comma", post(LIST_BYTES[:-2] + b",}}"), 400, rpc=-32700),
        Case(g, "comment in JSON", post(b"/* hi */" + LIST_BYTES), 400, rpc=-32700),
        Case(g, "single quotes", post(LIST_BYTES.replace(b'"', b"'")), 400, rpc=-32700),
        Case(g, "text after the value", post(LIST_BYTES + b" {}"), 400, rpc=-32700),
        Case(g, "byte order mark", post(b"\xef\xbb\xbf" + LIST_BYTES), 400, rpc=-32700),
        Case(g, "invalid UTF-8 byte", post(LIST_BYTES[:-2] + b',"x":"\xff"}}'), 400, rpc=-32700),
        Case(g, "overlong UTF-8", post(LIST_BYTES[:-2] + b',"x":"\xc0\xaf"}}'), 400, rpc=-32700),
        Case(g, "UTF-8 encoded surrogate", post(LIST_BYTES[:-2] + b',"x":"\xed\xa0\x80"}}'), 400, rpc=-32700),
        Case(g, "truncated UTF-8 sequence", post(LIST_BYTES[:-2] + b',"x":"\xe2\x82"}}'), 400, rpc=-32700),
        Case(g, "lone high surrogate escape", post(LIST_BYTES[:-2] + b',"x":"\\ud800"}}'), 400, rpc=-32700),
        Case(g, "lone low surrogate escape", post(LIST_BYTES[:-2] + b',"x":"\\udc00"}}'), 400, rpc=-32700),
        Case(g, "high surrogate then letter escape", post(LIST_BYTES[:-2] + b',"x":"\\ud800\\u0041"}}'), 400, rpc=-32700),
        Case(g, "surrogate escape in a key", post(LIST_BYTES[:-2] + b',"\\udfff":1}}'), 400, rpc=-32700),
        Case(g, "valid surrogate pair", post(LIST_BYTES[:-2] + b',"x":"\\ud83d\\ude00"}}'), 200),
        Case(g, "raw control character in string", post(LIST_BYTES[:-2] + b',"x":"a\x01b"}}'), 400, rpc=-32700),
        Case(g, "invalid escape", post(LIST_BYTES[:-2] + b',"x":"\\q"}}'), 400, rpc=-32700),
        Case(g, "number out of range", post(LIST_BYTES[:-2] + b',"x":1e400}}'), 400, rpc=-32700),
        Case(g, "leading zero", post(LIST_BYTES[:-2] + b',"x":01}}'), 400, rpc=-32700),
        Case(g, "NaN literal", post(LIST_BYTES[:-2] + b',"x":NaN}}'), 400, rpc=-32700),
        Case(g, "nesting 128 deep", post(nested(128)), 200),
        Case(g, "nesting 129 deep", post(nested(129)), 400, rpc=-32700),
        Case(g, "nesting 100000 deep", post(b"[" * 100_000 + b"]" * 100_000), 400, rpc=-32700),
        Case(g, "unclosed nesting 200000 deep", post(b'{"a":' * 200_000), 400, rpc=-32700),
        Case(g, "duplicate id key", post(b'{"jsonrpc":"2.0","id":1,"id":2,"method":"tools/list","params":' + json.dumps(modern_params()).encode() + b"}"), 400, rpc=-32700),
        Case(g, "duplicate method key", post(b'{"jsonrpc":"2.0","id":1,"method":"tools/list","method":"tools/call","params":' + json.dumps(modern_params()).encode() + b"}"), 400, rpc=-32700),
        Case(g, "duplicate key inside _meta", post(LIST_BYTES.replace(b'"io.modelcontextprotocol/protocolVersion": "2026-07-28"', b'"io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/protocolVersion": "2025-03-26"')), 400, rpc=-32700),
        Case(g, "duplicate tool argument key", post(lambda ctx: b'{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"_meta":' + json.dumps(modern_params()["_meta"]).encode() + b',"name":"list_todos","arguments":{"limit":1,"limit":2}}}', hdr("tools/call", "list_todos")), 400, rpc=-32700),
        # JSON-RPC shape
        Case(g, "body is null", post(b"null"), 400, rpc=-32600),
        Case(g, "body is a string", post(b'"tools/list"'), 400, rpc=-32600),
        Case(g, "body is a number", post(b"42"), 400, rpc=-32600),
        Case(g, "jsonrpc 1.0", post({**LIST, "jsonrpc": "1.0"}), 400, rpc=-32600),
        Case(g, "no jsonrpc member", post({key: value for key, value in LIST.items() if key != "jsonrpc"}), 400, rpc=-32600),
        Case(g, "method is a number", post({**LIST, "method": 7}), 400, rpc=-32600),
        Case(g, "params is an array", post({**LIST, "params": []}), 400, rpc=-32600),
        Case(g, "id is null", post({**LIST, "id": None}), 400, rpc=-32600),
        Case(g, "id is an object", post({**LIST, "id": {"a": 1}}), 400, rpc=-32600),
        Case(g, "id is fractional", post({**LIST, "id": 1.5}), 400, rpc=-32600),
        Case(g, "id is a huge string", post({**LIST, "id": "x" * 100_000}), 200),
        Case(g, "neither request nor response", post({"jsonrpc": "2.0", "id": 1}), 400, rpc=-32600),
        Case(g, "notification", post(rpc("notifications/initialized", modern_params(), id=None), hdr("notifications/initialized")), 202),
        Case(g, "response message", post({"jsonrpc": "2.0", "id": 1, "result": {}}), 202),
        # Headers against body (2026-07-28)
        Case(g, "no MCP-Protocol-Version header", post(LIST, hdr(without=["MCP-Protocol-Version"])), 400, rpc=-32020),
        Case(g, "header version differs from _meta", post(LIST, hdr(replace={"MCP-Protocol-Version": "2025-06-18"})), 400, rpc=-32020),
        Case(g, "unsupported version in both", post(with_params({"_meta": {"io.modelcontextprotocol/protocolVersion": "2099-01-01", "io.modelcontextprotocol/clientCapabilities": {}}}), hdr(replace={"MCP-Protocol-Version": "2099-01-01"})), 400, rpc=-32022),
        Case(g, "no Mcp-Method header", post(LIST, hdr(without=["Mcp-Method"])), 400, rpc=-32020),
        Case(g, "Mcp-Method differs from body", post(LIST, hdr(replace={"Mcp-Method": "tools/call"})), 400, rpc=-32020),
        Case(g, "Mcp-Method differs in case", post(LIST, hdr(replace={"Mcp-Method": "TOOLS/LIST"})), 400, rpc=-32020),
        Case(g, "tools/call without Mcp-Name", post(call("list_todos", {}), hdr("tools/call")), 400, rpc=-32020),
        Case(g, "Mcp-Name differs from body", post(call("list_todos", {}), hdr("tools/call", "delete_todo")), 400, rpc=-32020),
        Case(g, "Mcp-Name base64 form", post(call("list_todos", {}), hdr("tools/call", replace={"Mcp-Name": "=?base64?bGlzdF90b2Rvcw==?=", "Mcp-Method": "tools/call"})), 200, tool="ok"),
        Case(g, "Mcp-Name broken base64", post(call("list_todos", {}), hdr("tools/call", replace={"Mcp-Name": "=?base64?@@@@?=", "Mcp-Method": "tools/call"})), 400, rpc=-32020),
        Case(g, "_meta without clientCapabilities", post(with_params({"_meta": {"io.modelcontextprotocol/protocolVersion": MODERN}})), 400, rpc=-32602),
        Case(g, "clientCapabilities is an array", post(with_params({"_meta": {"io.modelcontextprotocol/protocolVersion": MODERN, "io.modelcontextprotocol/clientCapabilities": []}})), 400, rpc=-32602),
        Case(g, "_meta version is a number", post(with_params({"_meta": {"io.modelcontextprotocol/protocolVersion": 20260728, "io.modelcontextprotocol/clientCapabilities": {}}})), 400, rpc=-32602),
        Case(g, "_meta is a string", post(with_params({"_meta": "2026-07-28"})), 400),
        Case(g, "header only, no _meta", post(rpc("tools/list", {}, 1)), 400, rpc=-32602),
        Case(g, "neither header nor _meta", post(rpc("tools/list", {}, 1), hdr(without=["MCP-Protocol-Version"])), 400),
        # Methods and params
        Case(g, "unknown method", post(modern("completion/complete"), hdr("completion/complete")), 404, rpc=-32601),
        Case(g, "method with NUL", post(modern("tools/list\u0000"), hdr(replace={"Mcp-Method": "tools/list"})), 400, rpc=-32020),
        Case(g, "initialize with _meta", post(modern("initialize", {"protocolVersion": MODERN}), hdr("initialize")), 404, rpc=-32601),
        Case(g, "tools/call without name", post(modern("tools/call", {"arguments": {}}), hdr("tools/call")), 200, rpc=-32602),
        Case(g, "tools/call name is a number", post(modern("tools/call", {"name": 5}), hdr("tools/call")), 200, rpc=-32602),
        Case(g, "unknown tool", post(call("drop_tables", {}), hdr("tools/call", "drop_tables")), 200, rpc=-32602),
        Case(g, "arguments is an array", post(call("list_todos", []), hdr("tools/call", "list_todos")), 200, rpc=-32602),
        Case(g, "arguments is a string", post(call("list_todos", "{}"), hdr("tools/call", "list_todos")), 200, rpc=-32602),
        Case(g, "arguments is null", post(call("list_todos", None), hdr("tools/call", "list_todos")), 200, tool="ok"),
        Case(g, "100000 extra params", post(with_params({"extra": list(range(100_000))})), 200),
        # Origin
        Case(g, "Origin not allowed", post(LIST, hdr(add=[("Origin", "http://evil.example")])), 403),
        Case(g, "Origin null", post(LIST, hdr(add=[("Origin", "null")])), 403),
        Case(g, "Origin on another port", post(LIST, lambda ctx: hdr(add=[("Origin", f"http://127.0.0.1:{ctx.port + 1}")])(ctx)), 403),
        Case(g, "Origin with the public host as suffix", post(LIST, lambda ctx: hdr(add=[("Origin", f"http://127.0.0.1:{ctx.port}.evil.example")])(ctx)), 403),
        Case(g, "Origin of the public URL", post(LIST, lambda ctx: hdr(add=[("Origin", ctx.base)])(ctx)), 200, check=header_has("Access-Control-Allow-Origin", "127.0.0.1")),
        Case(g, "Origin in capitals", post(LIST, lambda ctx: hdr(add=[("Origin", ctx.base.upper())])(ctx)), 200),
        Case(g, "preflight from a foreign Origin", request("OPTIONS", "/", b"", [("Origin", "http://evil.example"), ("Access-Control-Request-Method", "POST")]), 403),
        Case(g, "preflight from the public Origin", request("OPTIONS", "/", b"", lambda ctx: [("Origin", ctx.base), ("Access-Control-Request-Method", "POST")]), 204),
        Case(g, "Origin not allowed even without auth", post(LIST, hdr(who=None, add=[("Origin", "http://evil.example")])), 403),
        # Other HTTP methods on the endpoint
        Case(g, "GET with Accept JSON", request("GET", "/", b"", hdr()), 405),
        Case(g, "GET with Accept event stream", request("GET", "/", b"", hdr(replace={"Accept": "text/event-stream"})), 405),
        Case(g, "GET with Accept HTML: setup page", request("GET", "/", b"", [("Accept", "text/html")]), 200, contains="mcp-url"),
        Case(g, "PUT", request("PUT", "/", LIST_BYTES, hdr()), (404, 405)),
        Case(g, "PATCH", request("PATCH", "/", LIST_BYTES, hdr()), (404, 405)),
        Case(g, "DELETE without session", request("DELETE", "/", b"", hdr()), 400),
        Case(g, "DELETE unknown session", request("DELETE", "/", b"", hdr(add=[("Mcp-Session-Id", "no-such-session")])), 404),
        Case(g, "DELETE without auth", request("DELETE", "/", b"", hdr(who=None, add=[("Mcp-Session-Id", "x")])), 401),
        # Legacy era
        Case(g, "legacy initialize", post(legacy_body("initialize", {"protocolVersion": LEGACY, "capabilities": {}, "clientInfo": {"name": "m", "version": "1"}}), hdr(era=LEGACY)), 200, check=lambda ctx, a: None if a.header("mcp-session-id") else "an Mcp-Session-Id header"),
        Case(g, "legacy initialize with unknown version", post(legacy_body("initialize", {"protocolVersion": "1999-01-01", "capabilities": {}}), hdr(era=LEGACY)), 200, check=lambda ctx, a: None if (a.json() or {}).get("result", {}).get("protocolVersion") in ("2025-11-25", "2025-06-18", "2025-03-26") else "a supported protocolVersion in the result"),
        Case(g, "legacy initialize without version", post(legacy_body("initialize", {}), hdr(era=LEGACY)), 200, rpc=-32602),
        Case(g, "legacy request without session", post(legacy_body("tools/list"), hdr(era=LEGACY, add=[("MCP-Protocol-Version", LEGACY)])), 400, rpc=-32600),
        Case(g, "legacy request with unknown session", post(legacy_body("tools/list"), hdr(era=LEGACY, add=[("Mcp-Session-Id", "s" * 43), ("MCP-Protocol-Version", LEGACY)])), 404),
        Case(g, "legacy session of another user", post(legacy_body("tools/list"), hdr(who="bob", era=LEGACY, session="rw-2025-03-26")), 404),
        Case(g, "legacy session with unsupported version header", post(legacy_body("tools/list"), hdr(era=LEGACY, session="rw-2025-03-26", replace={"MCP-Protocol-Version": "2099-01-01"})), 400, rpc=-32600),
        Case(g, "legacy ping", post(legacy_body("ping"), hdr(era=LEGACY, session="rw-2025-03-26")), 200),
        Case(g, "legacy unknown method", post(legacy_body("completion/complete"), hdr(era=LEGACY, session="rw-2025-03-26")), 200, rpc=-32601),
        Case(g, "legacy tools/call", post(legacy_body("tools/call", {"name": "list_todos", "arguments": {}}), hdr(era=LEGACY, session="rw-2025-03-26")), 200, tool="ok"),
        Case(g, "legacy notification with unknown session", post(legacy_body("notifications/initialized", id=None), hdr(era=LEGACY, add=[("Mcp-Session-Id", "nope"), ("MCP-Protocol-Version", LEGACY)])), 404),
        Case(g, "legacy session id of 10 KB", post(legacy_body("tools/list"), hdr(era=LEGACY, add=[("Mcp-Session-Id", "s" * 10_000), ("MCP-Protocol-Version", LEGACY)])), 404),
        Case(g, "end a legacy session", request("DELETE", "/", b"", hdr(era=LEGACY, session="rw-2025-06-18")), 204),
        Case(g, "use an ended legacy session", post(legacy_body("tools/list"), hdr(era=LEGACY, session="rw-2025-06-18")), 404),
        # Batches
        Case(g, "batch in a 2025-03-26 session", post([legacy_body("ping", id=1), legacy_body("tools/list", id=2)], hdr(era=LEGACY, session="rw-2025-03-26")), 200, check=batch_of(2)),
        Case(g, "batch in a 2025-11-25 session", post([legacy_body("ping", id=1)], hdr(era="2025-11-25", session="rw-2025-11-25")), 400, rpc=-32600),
        Case(g, "batch without a session", post([modern("tools/list", id=1), modern("tools/list", id=2)]), 400, rpc=-32600),
        Case(g, "empty batch", post([], hdr(era=LEGACY, session="rw-2025-03-26")), 400, rpc=-32600),
        Case(g, "batch of 50", post([legacy_body("ping", id=n) for n in range(50)], hdr(era=LEGACY, session="rw-2025-03-26")), 200, check=batch_of(50)),
        Case(g, "batch of 51", post([legacy_body("ping", id=n) for n in range(51)], hdr(era=LEGACY, session="rw-2025-03-26")), 400, rpc=-32600),
        Case(g, "batch of 10000", post([legacy_body("ping", id=n) for n in range(10_000)], hdr(era=LEGACY, session="rw-2025-03-26")), 400, rpc=-32600),
        Case(g, "batch with initialize", post([legacy_body("initialize", {"protocolVersion": LEGACY}, id=1)], hdr(era=LEGACY, session="rw-2025-03-26")), 200, rpc=-32600),
        Case(g, "batch with a non-object", post([1, legacy_body("ping", id=2)], hdr(era=LEGACY, session="rw-2025-03-26")), 200, rpc=-32600, check=batch_of(2)),
        Case(g, "batch of notifications only", post([legacy_body("notifications/initialized", id=None)], hdr(era=LEGACY, session="rw-2025-03-26")), 202),
        Case(g, "nested batch", post([[legacy_body("ping", id=1)]], hdr(era=LEGACY, session="rw-2025-03-26")), 200, rpc=-32600),
        Case(
            g,
            "batch mixing read and write with a read-only token",
            post(
                [
                    legacy_body("tools/call", {"name": "list_todos", "arguments": {}}, id=1),
                    legacy_body("tools/call", {"name": "create_todo", "arguments": {"title": "batch write with a read-only token"}}, id=2),
                ],
                hdr(who="ro", era=LEGACY, session="ro-2025-03-26"),
            ),
            403,
            oauth="insufficient_scope",
            check=then(header_has("WWW-Authenticate", "insufficient_scope"), mallory_lacks("batch write with a read-only token")),
        ),
        # Scopes
        Case(g, "read-only token calls a write tool", post(call("create_todo", {"title": "read-only write"}), hdr("tools/call", "create_todo", who="ro")), 403, check=then(header_has("WWW-Authenticate", 'scope="'), mallory_lacks("read-only write"))),
        Case(g, "read-only token reads", post(call("list_todos", {}), hdr("tools/call", "list_todos", who="ro")), 200, tool="ok"),
        Case(g, "read-only token deletes alice's todo", post(lambda ctx: call("delete_todo", {"id": ctx.fixtures["alice-ids"][0]})(ctx), hdr("tools/call", "delete_todo", who="ro")), 403),
    ]
    return cases


def tool_cases():
    long_note = "n" * 5001
    cases = [
        tool_case("create without arguments", "create_todo", {}),
        tool_case("title is a number", "create_todo", {"title": 5}),
        tool_case("title is null", "create_todo", {"title": None}),
        tool_case("title is an array", "create_todo", {"title": ["a"]}),
        tool_case("title is empty", "create_todo", {"title": ""}),
        tool_case("title is blank", "create_todo", {"title": " \u3000\t "}),
        tool_case("title of 201 characters", "create_todo", {"title": "x" * 201}),
        tool_case("title of 200 characters", "create_todo", {"title": "x" * 200}, expect="ok"),
        tool_case("title of 201 emoji", "create_todo", {"title": "\U0001f600" * 201}),
        tool_case("title: one character and 5000 combining marks", "create_todo", {"title": "a" + "\u0301" * 5000}),
        tool_case("title: 200 characters each with 30 combining marks", "create_todo", {"title": ("a" + "\u0301" * 30) * 200}),
        tool_case("title of 900 KB", "create_todo", {"title": "x" * 900_000}),
        tool_case("title with a line break", "create_todo", {"title": "a\nb"}),
        tool_case("title with a tab", "create_todo", {"title": "a\tb"}),
        tool_case("title with NUL", "create_todo", {"title": "a\u0000b"}),
        tool_case("title with DEL", "create_todo", {"title": "a\u007fb"}),
        tool_case("title with C1 control NEL", "create_todo", {"title": "a\u0085b"}),
        tool_case("title with escape sequence", "create_todo", {"title": "\u001b[31mred"}),
        tool_case("unknown field owner", "create_todo", {"title": "t", "owner": "alice"}),
        tool_case("unknown field id", "create_todo", {"title": "t", "id": "t_00000000000000000000000000"}),
        tool_case("priority urgent", "create_todo", {"title": "t", "priority": "urgent"}),
        tool_case("priority is a number", "create_todo", {"title": "t", "priority": 1}),
        tool_case("dueDate 2025-02-29", "create_todo", {"title": "t", "dueDate": "2025-02-29"}),
        tool_case("dueDate 2024-02-29", "create_todo", {"title": "leap day", "dueDate": "2024-02-29"}, expect="ok"),
        tool_case("dueDate month 13", "create_todo", {"title": "t", "dueDate": "2026-13-01"}),
        tool_case("dueDate day 00", "create_todo", {"title": "t", "dueDate": "2026-01-00"}),
        tool_case("dueDate year 0000", "create_todo", {"title": "t", "dueDate": "0000-01-01"}),
        tool_case("dueDate two-digit year", "create_todo", {"title": "t", "dueDate": "26-01-01"}),
        tool_case("dueDate without zero padding", "create_todo", {"title": "t", "dueDate": "2026-1-1"}),
        tool_case("dueDate with a time", "create_todo", {"title": "t", "dueDate": "2026-01-01T00:00:00Z"}),
        tool_case("dueDate in full-width digits", "create_todo", {"title": "t", "dueDate": "\uff12\uff10\uff12\uff16-01-01"}),
        tool_case("dueDate is a number", "create_todo", {"title": "t", "dueDate": 20260101}),
        tool_case("notes of 5001 characters", "create_todo", {"title": "t", "notes": long_note}),
        tool_case("notes with BEL", "create_todo", {"title": "t", "notes": "ring\u0007"}),
        tool_case("notes with line breaks", "create_todo", {"title": "notes ok", "notes": "one\ntwo\r\nthree\tfour"}, expect="ok"),
        tool_case("limit 0", "list_todos", {"limit": 0}),
        tool_case("limit 201", "list_todos", {"limit": 201}),
        tool_case("limit -1", "list_todos", {"limit": -1}),
        tool_case("limit 1.5", "list_todos", {"limit": 1.5}),
        tool_case("limit 1e30", "list_todos", {"limit": 1e30}),
        tool_case("limit as a string", "list_todos", {"limit": "10"}),
        tool_case("limit true", "list_todos", {"limit": True}),
        tool_case("status deleted", "list_todos", {"status": "deleted"}),
        tool_case("query of 201 characters", "list_todos", {"query": "q" * 201}),
        tool_case("query with SQL", "list_todos", {"query": "%' OR 1=1 --"}, expect="ok", check=lambda ctx, a: None if all("OR 1=1" not in t["title"] for t in tool_outcome(a).value["todos"]) else "no todos"),
        tool_case("query with LIKE wildcards only", "list_todos", {"query": "%_%"}, expect="ok"),
        tool_case("cursor garbage", "list_todos", {"cursor": "garbage"}),
        tool_case("cursor of 10000 characters", "list_todos", {"cursor": "A" * 10_000}),
        tool_case("cursor with invalid base64", "list_todos", {"cursor": "!!!!"}),
        tool_case("cursor tampered", "list_todos", lambda ctx: {"limit": 1, "cursor": tamper(ctx.fixtures["mallory-cursor"])}),
        tool_case("cursor used with another status", "list_todos", lambda ctx: {"limit": 1, "status": "completed", "cursor": ctx.fixtures["mallory-cursor"]}),
        tool_case("cursor used with another query", "list_todos", lambda ctx: {"limit": 1, "query": "x", "cursor": ctx.fixtures["mallory-cursor"]}),
        tool_case("cursor valid", "list_todos", lambda ctx: {"limit": 1, "cursor": ctx.fixtures["mallory-cursor"]}, expect="ok"),
        tool_case(
            "alice's cursor reveals nothing to mallory",
            "list_todos",
            lambda ctx: {"limit": 1, "cursor": ctx.fixtures["alice-cursor"]},
            expect="ok",
            check=lambda ctx, a: None if not set(t["id"] for t in (tool_outcome(a).value or {}).get("todos", [])) & set(ctx.fixtures["alice-ids"]) else "no alice todos",
        ),
        tool_case("get with empty id", "get_todo", {"id": ""}),
        tool_case("get with SQL in the id", "get_todo", {"id": "' OR '1'='1"}),
        tool_case("get with a numeric id", "get_todo", {"id": 1}),
        tool_case("get a missing id", "get_todo", lambda ctx: {"id": ctx.missing_id}),
        tool_case("get alice's todo as mallory", "get_todo", lambda ctx: {"id": ctx.fixtures["alice-ids"][0]}, check=same_as_missing("get_todo", lambda id: {"id": id}, 0)),
        tool_case("update alice's todo as mallory", "update_todo", lambda ctx: {"id": ctx.fixtures["alice-ids"][0], "title": "pwned"}, check=same_as_missing("update_todo", lambda id: {"id": id, "title": "pwned"}, 0)),
        tool_case("complete alice's todo as mallory", "complete_todo", lambda ctx: {"id": ctx.fixtures["alice-ids"][1]}, check=same_as_missing("complete_todo", lambda id: {"id": id}, 1)),
        tool_case("delete alice's todo as mallory", "delete_todo", lambda ctx: {"id": ctx.fixtures["alice-ids"][2]}, check=same_as_missing("delete_todo", lambda id: {"id": id}, 2)),
        tool_case("update with no changes", "update_todo", lambda ctx: {"id": ctx.fixtures["mallory-id"]}, expect="ok"),
        tool_case("update completed is a string", "update_todo", lambda ctx: {"id": ctx.fixtures["mallory-id"], "completed": "yes"}),
        tool_case("update title empty", "update_todo", lambda ctx: {"id": ctx.fixtures["mallory-id"], "title": ""}),
        tool_case("update title with combining marks", "update_todo", lambda ctx: {"id": ctx.fixtures["mallory-id"], "title": "a" + "\u0301" * 5000}),
        tool_case("update notes null clears", "update_todo", lambda ctx: {"id": ctx.fixtures["mallory-id"], "notes": None}, expect="ok", check=lambda ctx, a: None if tool_outcome(a).value.get("notes") is None else "notes cleared"),
        tool_case("update dueDate invalid", "update_todo", lambda ctx: {"id": ctx.fixtures["mallory-id"], "dueDate": "tomorrow"}),
        tool_case("update unknown field", "update_todo", lambda ctx: {"id": ctx.fixtures["mallory-id"], "owner": "bob"}),
        tool_case("delete then delete again", "delete_todo", lambda ctx: {"id": ctx.fixtures["mallory-doomed"]}, expect="ok"),
        tool_case("delete an already deleted todo", "delete_todo", lambda ctx: {"id": ctx.fixtures["mallory-doomed"]}),
    ]
    return cases


def tamper(text):
    middle = len(text) // 2
    return text[:middle] + ("A" if text[middle] != "A" else "B") + text[middle + 1 :]


def chunked(data, size=65536):
    chunks = [data[i : i + size] for i in range(0, len(data), size)]
    return b"".join(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n" for chunk in chunks) + b"0\r\n\r\n"


def register(body, content_type="application/json"):
    return request("POST", "/oauth/register", body, [("Content-Type", content_type)])


def registration(*redirect_uris, **extra):
    return register({"client_name": "matrix", "redirect_uris": list(redirect_uris), **extra})


def token(fields, content_type=FORM):
    """POST /oauth/token with form fields: a list of pairs (duplicates allowed) or a function of the context."""

    def body(ctx):
        value = resolve(fields, ctx)
        return value if isinstance(value, bytes) else urllib.parse.urlencode(value).encode()

    return request("POST", "/oauth/token", body, [("Content-Type", content_type)])


def code_grant(key, **changes):
    def fields(ctx):
        grant = ctx.authorization_code(key)
        values = {"grant_type": "authorization_code", "code": grant["code"], "redirect_uri": REDIRECT_URI, "code_verifier": grant["verifier"], "client_id": grant["client_id"]}
        values.update({name: resolve(value, ctx) for name, value in changes.items()})
        return [(name, value) for name, value in values.items() if value is not None]

    return fields


def authorize(**overrides):
    """GET /oauth/authorize for the main client, with parameters overridden (None drops one)."""

    def target(ctx):
        values = {name: resolve(value, ctx) for name, value in overrides.items()}
        client_id = values.pop("client_id", ctx.registered())
        return authorize_query(ctx.base, client_id, pkce_pair()[1], **values)

    return request("GET", target)


def remember(name, extract):
    def check(ctx, answer):
        ctx.fixtures[name] = extract(answer)
        return None

    return check


def oauth_cases():
    g = "oauth"
    big = "x" * 70_000
    return [
        # Registration
        Case(g, "register bad JSON", register(b"{"), 400, oauth="invalid_client_metadata"),
        Case(g, "register with text/plain", register(json.dumps({"redirect_uris": [REDIRECT_URI]}), "text/plain"), 400, oauth="invalid_client_metadata"),
        Case(g, "register a JSON array", register([]), 400, oauth="invalid_client_metadata"),
        Case(g, "register without redirect_uris", register({"client_name": "x"}), 400, oauth="invalid_redirect_uri"),
        Case(g, "register empty redirect_uris", register({"client_name": "x", "redirect_uris": []}), 400, oauth="invalid_redirect_uri"),
        Case(g, "register redirect_uris as a string", register({"client_name": "x", "redirect_uris": REDIRECT_URI}), 400, oauth="invalid_client_metadata"),
        Case(g, "register javascript:", registration("javascript:alert(1)"), 400, oauth="invalid_redirect_uri"),
        Case(g, "register JavaScript: in capitals", registration("JavaScript:alert(1)//"), 400, oauth="invalid_redirect_uri"),
        Case(g, "register data:", registration("data:text/html,<script>alert(1)</script>"), 400, oauth="invalid_redirect_uri"),
        Case(g, "register file:", registration("file:///etc/passwd"), 400, oauth="invalid_redirect_uri"),
        Case(g, "register http non-loopback", registration("http://example.com/cb"), 400, oauth="invalid_redirect_uri"),
        Case(g, "register http://evil@127.0.0.1:9/cb", registration("http://evil@127.0.0.1:9/cb"), 400, oauth="invalid_redirect_uri"),
        Case(g, "register http with user and password on loopback", registration("http://user:pw@127.0.0.1:9/cb"), 400, oauth="invalid_redirect_uri"),
        Case(g, "register http 127.0.0.1.evil.example", registration("http://127.0.0.1.evil.example/cb"), 400, oauth="invalid_redirect_uri"),
        Case(g, "register http localhost.evil.example", registration("http://localhost.evil.example/cb"), 400, oauth="invalid_redirect_uri"),
        Case(g, "register https with credentials", registration("https://user:pw@example.com/cb"), 400, oauth="invalid_redirect_uri"),
        Case(g, "register with a fragment", registration("https://example.com/cb#x"), 400, oauth="invalid_redirect_uri"),
        Case(g, "register with a space", registration("https://exa mple.com/cb"), 400, oauth="invalid_redirect_uri"),
        Case(g, "register a 3000-character URI", registration("https://example.com/" + "a" * 3000), 400, oauth="invalid_redirect_uri"),
        Case(g, "register one good and one bad URI", registration(REDIRECT_URI, "http://example.com/cb"), 400, oauth="invalid_redirect_uri"),
        Case(g, "register grant_types client_credentials", registration(REDIRECT_URI, grant_types=["client_credentials"]), 400, oauth="invalid_client_metadata"),
        Case(g, "register response_types token", registration(REDIRECT_URI, response_types=["token"]), 400, oauth="invalid_client_metadata"),
        Case(g, "register loopback http", registration("http://127.0.0.1:9/cb"), 201),
        Case(g, "register https", registration("https://client.example/cb"), 201),
        Case(g, "register a private-use scheme", registration("cursor://anysphere.cursor-retrieval/oauth/callback"), 201),
        Case(g, "register a body over 64 KB", register({"client_name": big, "redirect_uris": [REDIRECT_URI]}), 413),
        Case(g, "register a 10000-character name", register({"client_name": "n" * 10_000, "redirect_uris": [REDIRECT_URI]}), 201, check=lambda ctx, a: None if len((a.json() or {}).get("client_name", "")) <= 200 else "client_name shortened"),
        Case(g, "GET on register", request("GET", "/oauth/register"), (404, 405)),
        # Authorization requests
        Case(g, "authorize without client_id", request("GET", "/oauth/authorize?response_type=code"), 400, contains="client"),
        Case(g, "authorize an unknown client", authorize(client_id="c_unknown"), 400, contains="not registered"),
        Case(g, "authorize a 10000-character client_id", authorize(client_id="c" * 10_000), 400),
        Case(g, "authorize a metadata URL on loopback", authorize(client_id="https://127.0.0.1:9/client.json"), 400, check=lambda ctx, a: None if a.elapsed < 6 else f"a quick refusal ({a.elapsed:.1f} s)"),
        Case(g, "authorize an unregistered redirect", authorize(redirect_uri="https://evil.example/cb"), 400, absent=("Location",)),
        Case(g, "authorize redirect http://evil@127.0.0.1:9/cb", authorize(redirect_uri="http://evil@127.0.0.1:9/cb"), 400, absent=("Location",), check=header_has("Content-Type", "text/html")),
        Case(g, "authorize redirect with dot segments", authorize(redirect_uri="http://127.0.0.1:9/cb/../evil"), 400),
        Case(g, "authorize redirect on localhost", authorize(redirect_uri="http://localhost:9/cb"), 400),
        Case(g, "authorize redirect with a fragment", authorize(redirect_uri="http://127.0.0.1:9/cb#x"), 400),
        Case(g, "authorize redirect with a query", authorize(redirect_uri="http://127.0.0.1:9/cb?next=evil"), 400),
        Case(g, "authorize redirect on another loopback port", authorize(redirect_uri="http://127.0.0.1:7777/cb"), 200, contains='name="email"'),
        Case(g, "authorize without PKCE", authorize(code_challenge=None, code_challenge_method=None), (302, 303), check=location_has("error=invalid_request", "state", "iss")),
        Case(g, "authorize with plain PKCE", authorize(code_challenge_method="plain"), (302, 303), check=location_has("error=invalid_request")),
        Case(g, "authorize with a short challenge", authorize(code_challenge="abc"), (302, 303), check=location_has("error=invalid_request")),
        Case(g, "authorize response_type token", authorize(response_type="token"), (302, 303), check=location_has("error=unsupported_response_type")),
        Case(g, "authorize another resource", authorize(resource="http://evil.example/"), (302, 303), check=location_has("error=invalid_target")),
        Case(g, "authorize POST without CSRF", request("POST", "/oauth/authorize", lambda ctx: urllib.parse.urlencode({"client_id": ctx.registered(), "redirect_uri": REDIRECT_URI, "response_type": "code", "code_challenge": pkce_pair()[1], "code_challenge_method": "S256", "step": "email", "email": "x@example.com"}), [("Content-Type", FORM)]), 403),
        Case(g, "authorize POST with CSRF but no cookie", request("POST", "/oauth/authorize", lambda ctx: urllib.parse.urlencode({"client_id": ctx.registered(), "redirect_uri": REDIRECT_URI, "response_type": "code", "code_challenge": pkce_pair()[1], "code_challenge_method": "S256", "step": "email", "csrf": "c" * 43, "email": "x@example.com"}), [("Content-Type", FORM)]), 403),
        Case(g, "authorize POST over 64 KB", request("POST", "/oauth/authorize", b"a=" + b"x" * 70_000, [("Content-Type", FORM)]), 413),
        # Token endpoint
        Case(g, "token as JSON", token(b'{"grant_type":"authorization_code"}', "application/json"), 400, oauth="invalid_request"),
        Case(g, "token without Content-Type", request("POST", "/oauth/token", b"grant_type=refresh_token"), 400, oauth="invalid_request"),
        Case(g, "token without grant_type", token([("client_id", "x")]), 400, oauth="invalid_request"),
        Case(g, "token grant password", token([("grant_type", "password"), ("username", "a"), ("password", "b")]), 400, oauth="unsupported_grant_type"),
        Case(g, "token grant client_credentials", token([("grant_type", "client_credentials")]), 400, oauth="unsupported_grant_type"),
        Case(g, "token without client_id", token([("grant_type", "authorization_code"), ("code", "x"), ("redirect_uri", REDIRECT_URI), ("code_verifier", "v" * 43)]), 400, oauth="invalid_request"),
        Case(g, "token for an unknown client", token([("grant_type", "authorization_code"), ("code", "x"), ("redirect_uri", REDIRECT_URI), ("code_verifier", "v" * 43), ("client_id", "c_nobody")]), 401, oauth="invalid_client"),
        Case(g, "token with a made-up code", token(lambda ctx: [("grant_type", "authorization_code"), ("code", "ac1_made_up"), ("redirect_uri", REDIRECT_URI), ("code_verifier", "v" * 43), ("client_id", ctx.registered())]), 400, oauth="invalid_grant"),
        Case(g, "token without code_verifier", token(code_grant("a", code_verifier=None)), 400, oauth="invalid_request"),
        Case(g, "token with the wrong verifier", token(code_grant("a", code_verifier="w" * 43)), 400, oauth="invalid_grant"),
        Case(g, "token with another redirect_uri", token(code_grant("a", redirect_uri="http://127.0.0.1:9/other")), 400, oauth="invalid_grant"),
        Case(g, "token by another client", token(code_grant("a", client_id=lambda ctx: ctx.registered("other client"))), 400, oauth="invalid_grant"),
        Case(g, "token with a duplicate code", token(lambda ctx: code_grant("a")(ctx) + [("code", "ac1_second")]), 400, oauth="invalid_request"),
        Case(g, "token with a duplicate grant_type", token(lambda ctx: [("grant_type", "refresh_token")] + code_grant("a")(ctx)), 400, oauth="invalid_request"),
        Case(g, "token with a duplicate client_id", token(lambda ctx: code_grant("a")(ctx) + [("client_id", ctx.registered("other client"))]), 400, oauth="invalid_request"),
        Case(g, "token for another resource", token(code_grant("a", resource="http://evil.example/")), 400, oauth="invalid_target"),
        Case(g, "token after the refused attempts", token(code_grant("a")), 200, check=remember("replayed-grant", lambda a: a.json())),
        Case(g, "token with a replayed code", token(code_grant("a")), 400, oauth="invalid_grant"),
        Case(g, "code replay revokes the first use's refresh token", token(lambda ctx: refresh_fields(ctx.fixtures["replayed-grant"]["refresh_token"], ctx.registered())), 400, oauth="invalid_grant"),
        Case(g, "code replay revokes the first use's access token", post(LIST, lambda ctx: bearer(ctx, ctx.fixtures["replayed-grant"]["access_token"])), 401),
        Case(g, "rotate a refresh token", token(lambda ctx: refresh_fields(ctx.tokens["family"].refresh, ctx.tokens["family"].client_id)), 200, check=remember("family-1", lambda a: a.json())),
        Case(g, "rotate its successor", token(lambda ctx: refresh_fields(ctx.fixtures["family-1"]["refresh_token"], ctx.tokens["family"].client_id)), 200, check=remember("family-2", lambda a: a.json())),
        Case(g, "replay a token whose successor was used", token(lambda ctx: refresh_fields(ctx.tokens["family"].refresh, ctx.tokens["family"].client_id)), 400, oauth="invalid_grant"),
        Case(g, "the newest token of a replayed grant is revoked", token(lambda ctx: refresh_fields(ctx.fixtures["family-2"]["refresh_token"], ctx.tokens["family"].client_id)), 400, oauth="invalid_grant"),
        Case(g, "access tokens of a replayed grant are refused", post(LIST, lambda ctx: bearer(ctx, ctx.fixtures["family-2"]["access_token"])), 401),
        Case(g, "rotate another refresh token", token(lambda ctx: refresh_fields(ctx.tokens["grace"].refresh, ctx.tokens["grace"].client_id)), 200),
        Case(g, "replay within the grace while the successor is unused", token(lambda ctx: refresh_fields(ctx.tokens["grace"].refresh, ctx.tokens["grace"].client_id)), 200),
        Case(g, "refresh with a made-up token", token(lambda ctx: [("grant_type", "refresh_token"), ("refresh_token", "rt1_made_up"), ("client_id", ctx.registered())]), 400, oauth="invalid_grant"),
        Case(g, "refresh with an access token", token(lambda ctx: [("grant_type", "refresh_token"), ("refresh_token", ctx.token("rw")), ("client_id", ctx.registered())]), 400, oauth="invalid_grant"),
        Case(g, "refresh by another client", token(lambda ctx: [("grant_type", "refresh_token"), ("refresh_token", ctx.tokens["spare"].refresh), ("client_id", ctx.registered("other client"))]), 400, oauth="invalid_grant"),
        Case(g, "refresh asking for a wider scope", token(lambda ctx: [("grant_type", "refresh_token"), ("refresh_token", ctx.tokens["ro-spare"].refresh), ("client_id", ctx.tokens["ro-spare"].client_id), ("scope", "todos:read todos:write")]), 400, oauth="invalid_scope"),
        Case(g, "refresh asking for a narrower scope", token(lambda ctx: refresh_fields(ctx.tokens["narrow"].refresh, ctx.tokens["narrow"].client_id) + [("scope", "todos:read")]), 200, check=scope_is("todos:read")),
        Case(g, "token body over 64 KB", token([("grant_type", "refresh_token"), ("refresh_token", big)]), 413),
        Case(g, "GET on token", request("GET", "/oauth/token?grant_type=refresh_token"), (404, 405)),
        # Revocation
        Case(g, "revoke without token", request("POST", "/oauth/revoke", b"", [("Content-Type", FORM)]), 400, oauth="invalid_request"),
        Case(g, "revoke as JSON", request("POST", "/oauth/revoke", b'{"token":"x"}', [("Content-Type", "application/json")]), 400, oauth="invalid_request"),
        Case(g, "revoke an unknown token", request("POST", "/oauth/revoke", b"token=unknown", [("Content-Type", FORM)]), 200),
        Case(g, "revoke an access token", request("POST", "/oauth/revoke", lambda ctx: "token=" + ctx.tokens["spare"].access, [("Content-Type", FORM)]), 200),
        Case(g, "a revoked access token is refused", post(LIST, lambda ctx: bearer(ctx, ctx.tokens["spare"].access)), 401),
        Case(g, "revoke a refresh token", request("POST", "/oauth/revoke", lambda ctx: "token=" + ctx.tokens["spare"].refresh, [("Content-Type", FORM)]), 200),
        Case(g, "a revoked refresh token is refused", token(lambda ctx: [("grant_type", "refresh_token"), ("refresh_token", ctx.tokens["spare"].refresh), ("client_id", ctx.tokens["spare"].client_id)]), 400, oauth="invalid_grant"),
    ]


def discovery_cases():
    g = "discovery"
    get = lambda path: request("GET", path)  # noqa: E731
    return [
        Case(g, "openid-configuration", get("/.well-known/openid-configuration"), 404),
        Case(g, "openid-configuration path-suffixed", get("/.well-known/openid-configuration/mcp"), 404),
        Case(g, "authorization-server metadata", get("/.well-known/oauth-authorization-server"), 200, check=then(json_field("issuer", lambda ctx: ctx.base), json_field("code_challenge_methods_supported", ["S256"]))),
        Case(g, "authorization-server metadata path-suffixed", get("/.well-known/oauth-authorization-server/mcp"), 200),
        Case(g, "authorization-server metadata deep suffix", get("/.well-known/oauth-authorization-server/a/b/c"), 200),
        Case(g, "authorization-server metadata trailing slash", get("/.well-known/oauth-authorization-server/"), 200),
        Case(g, "protected-resource metadata", get("/.well-known/oauth-protected-resource"), 200, check=json_field("resource", lambda ctx: ctx.base + "/")),
        Case(g, "protected-resource metadata path-suffixed", get("/.well-known/oauth-protected-resource/mcp"), 200),
        Case(g, "protected-resource metadata trailing slash", get("/.well-known/oauth-protected-resource/"), 200),
        Case(g, "metadata preflight", request("OPTIONS", "/.well-known/oauth-authorization-server", b"", [("Origin", "http://evil.example"), ("Access-Control-Request-Method", "GET")]), 204),
        Case(g, "POST on metadata", request("POST", "/.well-known/oauth-authorization-server", b"{}", [("Content-Type", "application/json")]), (404, 405)),
        Case(g, "unknown well-known document", get("/.well-known/security.txt.bak"), 404),
        Case(g, "health", get("/health"), 200, check=json_field("status", "ok")),
    ]


def login_page(client_name, state="s", step="email"):
    """The sign-in page (email, code or consent) for a client named `client_name` with `state`."""

    def send(ctx):
        browser = Browser(ctx.port, ctx.addresses.next())
        try:
            client_id = register_client(browser, client_name)
            page = browser.get(authorize_query(ctx.base, client_id, pkce_pair()[1], state=state))
            if step == "email" or page.status != 200:
                return page
            page = browser.form("/oauth/authorize", first_form(page, "email") + [("email", f"injection-{secrets.token_hex(4)}@example.com")])
            if step == "code" or page.status != 200:
                return page
            code = parse_page(page.text).demo_code
            return browser.form("/oauth/authorize", first_form(page, "code") + [("code", code)])
        finally:
            browser.close()

    return send


def injection_cases():
    g = "html"
    script = "<script>alert(1)</script>"
    combining_quote = '"\u0301 autofocus onfocus=alert(1) x="'
    combining_angle = "<\u0301img src=x onerror=alert(1)>"
    arabic_quote = '\u0600" onmouseover=alert(1) x="'
    arabic_angle = "\u0600<script>alert(1)</script>"
    return [
        Case(g, "client_name <script>", login_page(script), 200, absent=("<script",)),
        Case(g, "client_name quote + U+0301", login_page(combining_quote), 200, absent=('"\u0301',)),
        Case(g, "client_name < + U+0301", login_page(combining_angle), 200, absent=("<\u0301",)),
        Case(g, "client_name U+0600 + quote", login_page(arabic_quote), 200, absent=('\u0600"',)),
        Case(g, "client_name U+0600 + <script>", login_page(arabic_angle), 200, absent=("<script", "\u0600<")),
        Case(g, "state <script>", login_page("plain", state=script), 200, absent=("<script",)),
        Case(g, "state quote + U+0301", login_page("plain", state=combining_quote), 200, absent=('"\u0301',)),
        Case(g, "state < + U+0301", login_page("plain", state=combining_angle), 200, absent=("<\u0301",)),
        Case(g, "state U+0600 + quote", login_page("plain", state=arabic_quote), 200, absent=('\u0600"',)),
        Case(g, "state U+0600 + <script>", login_page("plain", state=arabic_angle), 200, absent=("<script", "\u0600<")),
        Case(g, "code page: state quote + U+0301", login_page("plain", state=combining_quote, step="code"), 200, contains='id="demo-code"', absent=('"\u0301',)),
        Case(g, "consent page: client_name quote + U+0301", login_page(combining_quote + script, step="consent"), 200, contains='name="approve"', absent=('"\u0301', "<script")),
        Case(g, "consent page: state U+0600 + quote", login_page("plain", state=arabic_quote, step="consent"), 200, contains='name="approve"', absent=('\u0600"',)),
    ]


def secret_cases():
    g = "secrets"
    return [
        Case(g, "access token in the query string", post(LIST, hdr(who=None), target=lambda ctx: "/?access_token=" + ctx.token("rw")), 401),
        Case(g, "refresh grant in the query string", request("POST", lambda ctx: "/oauth/token?" + urllib.parse.urlencode({"grant_type": "refresh_token", "refresh_token": ctx.tokens["rw"].refresh, "client_id": ctx.tokens["rw"].client_id}), b"", [("Content-Type", FORM)]), 400, oauth="invalid_request"),
        Case(g, "revocation token in the query string", request("POST", lambda ctx: "/oauth/revoke?token=" + ctx.tokens["rw"].refresh, b"", [("Content-Type", FORM)]), 400, oauth="invalid_request"),
        Case(g, "the query-string refresh token still works", token(lambda ctx: [("grant_type", "refresh_token"), ("refresh_token", ctx.tokens["rw"].refresh), ("client_id", ctx.tokens["rw"].client_id)]), 200),
        Case(g, "401 does not echo the query token", post(LIST, hdr(who=None), target="/?access_token=QUERY-SECRET-1234"), 401, absent=("QUERY-SECRET-1234",)),
        Case(g, "error redirect does not echo the verifier", authorize(code_verifier="VERIFIER-SECRET-99", code_challenge=None), (302, 303), absent=("VERIFIER-SECRET-99",)),
    ]


def path_cases():
    g = "paths"
    no_passwd = lambda ctx, a: "no file contents" if "root:" in a.text else None  # noqa: E731
    return [
        Case(g, "../../etc/passwd", raw(b"GET /../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n"), 404, check=no_passwd),
        Case(g, "percent-encoded dot segments", request("GET", "/%2e%2e/%2e%2e/etc/passwd"), 404, check=no_passwd),
        Case(g, "double slash", request("GET", "//etc/passwd"), 404, check=no_passwd),
        Case(g, "backslashes", request("GET", "/..\\..\\etc\\passwd"), "4xx", check=no_passwd),
        Case(g, "dot segments inside well-known", request("GET", "/.well-known/../health"), (200, 404), check=no_passwd),
        Case(g, "dot segments after authorize", request("GET", "/oauth/authorize/../../etc/passwd"), "4xx", check=no_passwd),
        Case(g, "encoded NUL", request("GET", "/health%00.json"), 404),
        Case(g, "overlong UTF-8 in the path", request("GET", "/%c0%ae%c0%ae/etc/passwd"), 404, check=no_passwd),
        Case(g, "raw non-ASCII in the path", raw(b"GET /\xff\xfe HTTP/1.1\r\nHost: x\r\n\r\n"), "4xx"),
        Case(g, "TRACE", request("TRACE", "/", b"", [("X-Trace-Secret", "echo-me")]), "4xx", absent=("echo-me",)),
        Case(g, "Upgrade: websocket is ignored", raw(b"GET /health HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"), 200),
        Case(g, "Upgrade: h2c is ignored", raw(b"GET /health HTTP/1.1\r\nHost: x\r\nUpgrade: h2c\r\nConnection: Upgrade, HTTP2-Settings\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n"), 200),
        Case(g, "unknown method", raw(b"BREW / HTTP/1.1\r\nHost: x\r\n\r\n"), "4xx"),
        Case(g, "OPTIONS *", raw(b"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n"), "4xx"),
        Case(g, "HEAD /health", request("HEAD", "/health"), (200, 404, 405)),
        Case(g, "absolute-form target", raw(b"GET http://evil.example/health HTTP/1.1\r\nHost: evil.example\r\n\r\n"), (200, 400, 404)),
        Case(g, "HTTP/1.0 without Host", raw(b"GET /health HTTP/1.0\r\n\r\n"), (200, 400)),
        Case(g, "HTTP/2 preface", raw(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), "4xx"),
        Case(g, "HTTP/9.9", raw(b"GET /health HTTP/9.9\r\nHost: x\r\n\r\n"), "4xx"),
        Case(g, "bare LF line ends", raw(b"GET /health HTTP/1.1\nHost: x\n\n"), (200, 400)),
        Case(g, "Content-Length and Transfer-Encoding", raw(b"POST /oauth/revoke HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"), "4xx"),
        Case(g, "two different Content-Lengths", raw(b"POST /oauth/revoke HTTP/1.1\r\nHost: x\r\nContent-Length: 7\r\nContent-Length: 8\r\n\r\ntoken=a"), "4xx"),
        Case(g, "negative Content-Length", raw(b"POST /oauth/revoke HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n"), "4xx"),
        Case(g, "Content-Length not a number", raw(b"POST /oauth/revoke HTTP/1.1\r\nHost: x\r\nContent-Length: 1e3\r\n\r\n"), "4xx"),
        Case(g, "bad chunk size", raw(b"POST /oauth/revoke HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n\r\n"), "4xx"),
        Case(g, "space in a header name", raw(b"GET /health HTTP/1.1\r\nHost: x\r\nBad Name: x\r\n\r\n"), "4xx"),
        Case(g, "NUL in a header value", raw(b"GET /health HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n"), "4xx"),
        Case(g, "header folding", raw(b"GET /health HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n"), (200, 400)),
    ]


def long_cases():
    g = "long"
    return [
        Case(g, "URL of 8 KB", request("GET", "/health?" + "a" * 8000), 200),
        Case(g, "URL of 100 KB", request("GET", "/health?" + "a" * 100_000), "4xx"),
        Case(g, "URL of 1 MB", request("GET", "/health?" + "a" * 1_000_000), "4xx"),
        Case(g, "MCP POST to a 100 KB URL", post(LIST, target="/?" + "a" * 100_000), "4xx"),
        Case(g, "header of 8 KB", request("GET", "/health", b"", [("X-Long", "a" * 8000)]), 200),
        Case(g, "header of 100 KB", request("GET", "/health", b"", [("X-Long", "a" * 100_000)]), "4xx"),
        Case(g, "cookie of 100 KB", request("GET", "/oauth/authorize", b"", [("Cookie", "oauth_session=" + "a" * 100_000)]), "4xx"),
        Case(g, "10000 headers", request("GET", "/health", b"", [(f"X-H{n}", "a") for n in range(10_000)]), "4xx"),
        Case(g, "bearer token of 60 KB", post(LIST, hdr(who=None, add=[("Authorization", "Bearer " + "a" * 60_000)])), "4xx"),
        Case(g, "Mcp-Name of 50 KB", post(call("list_todos", {}), hdr("tools/call", replace={"Mcp-Name": "n" * 50_000})), "4xx"),
        Case(g, "X-Forwarded-For chain of 2000 addresses", request("GET", "/health", b"", [("X-Forwarded-For", ", ".join(f"10.9.{n // 256}.{n % 256}" for n in range(2000)))]), 200),
        Case(g, "method name of 10 KB", raw(b"G" * 10_000 + b" / HTTP/1.1\r\nHost: x\r\n\r\n"), "4xx"),
    ]


# MARK: Running cases


def status_matches(expected, status):
    if expected == "4xx":
        return 400 <= status < 500
    if isinstance(expected, tuple):
        return status in expected
    return status == expected


def describe_expectation(case):
    status = case.status if not isinstance(case.status, tuple) else " or ".join(map(str, case.status))
    parts = [f"HTTP {status}"]
    if case.rpc is not None:
        parts.append(f"JSON-RPC {case.rpc}")
    if case.oauth:
        parts.append(f"error {case.oauth}")
    if case.tool:
        parts.append("a successful tool result" if case.tool == "ok" else "a tool error (isError)")
    if case.contains:
        parts.append(f"body containing {case.contains!r}")
    if case.absent:
        parts.append("nothing of " + ", ".join(repr(text) for text in case.absent))
    return ", ".join(parts)


def problems_with(case, ctx, answer):
    problems = []
    if answer.status >= 500:
        problems.append("no 5xx")
    if not status_matches(case.status, answer.status):
        problems.append(f"status {case.status}")
    if case.rpc is not None and case.rpc not in rpc_codes(answer):
        problems.append(f"JSON-RPC error {case.rpc}")
    if case.oauth:
        body = answer.json()
        if not isinstance(body, dict) or body.get("error") != case.oauth:
            problems.append(f"error {case.oauth}")
    if case.tool and tool_outcome(answer).kind != case.tool:
        problems.append("a successful tool result" if case.tool == "ok" else "a tool error")
    if case.contains and case.contains not in answer.text:
        problems.append(f"{case.contains!r} in the body")
    everything = answer.text + "\n" + "\n".join(f"{name}: {value}" for name, value in answer.headers)
    for text in case.absent:
        if text in everything:
            problems.append(f"no {text!r} in the answer")
    if not problems and case.check:
        problem = case.check(ctx, answer)
        if problem:
            problems.append(problem)
    return problems


def describe_answer(answer, problems):
    """The answer in one short line, the unmet expectations first."""
    outcome = tool_outcome(answer)
    if outcome.kind == "tool_error":
        body = f"tool error: {outcome.value}"
    elif outcome.kind == "rpc_error":
        body = f"JSON-RPC error {outcome.value.get('code')}: {outcome.value.get('message')}"
    else:
        body = answer.text
    location = f" Location: {answer.header('location')}" if answer.header("location") else ""
    return f"HTTP {answer.status}{location} (unmet: {'; '.join(problems)}) {shorten(body, 150)}"


def run_case(case, ctx, report):
    label = f"[{case.group}] {case.name}"
    try:
        answer = case.send(ctx)
    except NoResponse as error:
        report.fail(label, describe_expectation(case), f"no response ({error})")
        return
    except Exception as error:  # a broken fixture is a failed case, not a crashed run
        report.fail(label, describe_expectation(case), f"{type(error).__name__}: {error}")
        return
    problems = problems_with(case, ctx, answer)
    if problems:
        report.fail(label, describe_expectation(case), describe_answer(answer, problems))
    else:
        report.ok()


# MARK: Slow and abandoned connections


def time_until_closed(port, opening, limit, trickle=None):
    """Opens a connection, sends `opening`, then waits (sending `trickle` bytes every 0.5 s, if given)
    until the server closes it. Returns the seconds it took, or None when it was still open at `limit`."""
    started = time.monotonic()
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    try:
        if opening:
            sock.sendall(opening)
        sock.setblocking(False)
        next_trickle = started + 0.5
        while True:
            now = time.monotonic()
            if now - started > limit:
                return None
            readable, _, _ = select.select([sock], [], [], 0.1)
            if readable:
                try:
                    if not sock.recv(65536):
                        return time.monotonic() - started
                except (ConnectionResetError, BrokenPipeError):
                    return time.monotonic() - started
                except BlockingIOError:
                    pass
            if trickle and now >= next_trickle:
                next_trickle = now + 0.5
                try:
                    sock.send(trickle)
                except (ConnectionResetError, BrokenPipeError):
                    return time.monotonic() - started
                except BlockingIOError:
                    pass
    finally:
        sock.close()


def closes_within(opening, trickle=None):
    def probe(port):
        took = time_until_closed(port, opening, CLOSE_WITHIN + 1, trickle)
        if took is None or took > CLOSE_WITHIN:
            return f"still open after {CLOSE_WITHIN + 1:.0f} s" if took is None else f"closed only after {took:.1f} s"
        return None

    return probe


def idle_after_response(port):
    """One request on a kept-alive connection, then silence: the server must close it within the idle timeout."""
    connection = Connection(port, timeout=5)
    try:
        answer = connection.request("GET", "/health")
        if answer.status != 200 or connection.sock is None:
            return f"a kept-alive 200 from /health first (got {answer.summary()})"
        started = time.monotonic()
        connection.sock.settimeout(CLOSE_WITHIN + 1)
        try:
            while connection.sock.recv(65536):
                pass
        except socket.timeout:
            return f"still open after {CLOSE_WITHIN + 1:.0f} s idle"
        except ConnectionResetError:
            pass
        took = time.monotonic() - started
        return None if took <= CLOSE_WITHIN else f"closed only after {took:.1f} s idle"
    finally:
        connection.close()


def many_stalled(port):
    """50 connections with half a request head; /health must answer meanwhile and all must be closed in time."""
    sockets, results = [], []
    started = time.monotonic()
    try:
        for _ in range(50):
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            sock.sendall(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-")
            sockets.append(sock)
        try:
            answer = Connection(port, timeout=3).request("GET", "/health", close=True)
            if answer.status != 200:
                results.append(f"/health answering 200 while 50 connections stall (got {answer.status})")
        except NoResponse as error:
            results.append(f"/health answering while 50 connections stall (got no response: {error})")
        still_open = 0
        for sock in sockets:
            remaining = started + CLOSE_WITHIN + 1 - time.monotonic()
            sock.settimeout(max(0.05, remaining))
            try:
                while sock.recv(65536):
                    pass
            except socket.timeout:
                still_open += 1
            except ConnectionResetError:
                pass
        if still_open:
            results.append(f"all 50 stalled connections closed within {CLOSE_WITHIN:.0f} s ({still_open} still open)")
    finally:
        for sock in sockets:
            sock.close()
    return results


def slow_cases():
    g = "slow"
    return [
        (g, "half a request head, then silence", closes_within(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Stall")),
        (g, "full head, Content-Length 1000, 10 bytes, then silence", closes_within(b"POST /oauth/revoke HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\ntoken=abcd")),
        (g, "MCP POST with a stalled body", closes_within(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"jsonrpc\"")),
        (g, "connect and send nothing", closes_within(b"")),
        (g, "head trickled one byte every 0.5 s", closes_within(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ", trickle=b"a")),
        (g, "body trickled one byte every 0.5 s", closes_within(b"POST /oauth/revoke HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100000\r\n\r\ntoken=", trickle=b"a")),
        (g, "idle keep-alive connection after a response", idle_after_response),
        # The HTTP parser takes CONNECT for a tunnel and stops reading: no answer, but no tunnel
        # either, and the connection is closed like any other that stalls.
        (g, "CONNECT is never tunnelled and is closed", closes_within(b"CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\n\r\nSSH-2.0-x\r\n")),
    ]


def run_slow_cases(port, report):
    """Runs the slow-connection probes at the same time (each waits up to a few seconds)."""
    probes = slow_cases()
    results = {}

    def run(key, probe):
        try:
            results[key] = probe(port)
        except OSError as error:
            results[key] = f"a connection that works ({error})"

    threads = [threading.Thread(target=run, args=(index, probe), daemon=True) for index, (_, _, probe) in enumerate(probes)]
    threads.append(threading.Thread(target=run, args=("many", many_stalled), daemon=True))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    expected = f"the server closes the connection within {CLOSE_WITHIN:.0f} s (IDLE_TIMEOUT={SLOW_TIMEOUT}, READ_TIMEOUT={SLOW_TIMEOUT})"
    for index, (group, name, _) in enumerate(probes):
        problem = results.get(index, "the probe to finish")
        report.check(f"[{group}] {name}", problem is None, expected, problem)
    stalled = results.get("many", ["the 50-connection probe to finish"])
    if isinstance(stalled, str):
        stalled = [stalled]
    health_problems = [problem for problem in stalled if problem.startswith("/health")]
    close_problems = [problem for problem in stalled if not problem.startswith("/health")]
    report.check("[slow] /health answers while 50 connections stall", not health_problems, "200 from /health within 3 s", "; ".join(health_problems))
    report.check("[slow] 50 stalled connections are closed", not close_problems, f"all closed within {CLOSE_WITHIN:.0f} s", "; ".join(close_problems))


# MARK: Setup and final checks


def set_up(ctx):
    """Signs in the users, gives the sentinels their todos and prepares the fixtures cases use."""
    port = ctx.port
    ctx.browsers["mallory"] = Browser(port, ctx.addresses.next())
    ctx.tokens["rw"] = sign_in(port, "mallory@example.com", browser=ctx.browsers["mallory"])
    ctx.tokens["ro"] = sign_in(port, "mallory@example.com", scope="todos:read", browser=ctx.browsers["mallory"])
    ctx.tokens["ro-spare"] = sign_in(port, "mallory@example.com", scope="todos:read", client_name="spare", browser=ctx.browsers["mallory"])
    for who in ("spare", "family", "grace", "narrow"):
        ctx.tokens[who] = sign_in(port, f"{who}@example.com", ctx.addresses.next())
    for who in ("alice", "bob"):
        ctx.tokens[who] = sign_in(port, f"{who}@example.com", ctx.addresses.next())
    alice, bob, mallory = ctx.client("alice"), ctx.client("bob"), ctx.client("rw")
    try:
        for arguments in ({"title": "Alice: buy milk", "dueDate": "2026-12-01"}, {"title": "Alice: call mum", "priority": "high"}, {"title": "Alice: taxes", "notes": "before May"}):
            expect_ok(alice.tool("create_todo", arguments), "alice creates a todo")
        expect_ok(alice.tool("complete_todo", {"id": expect_ok(alice.tool("create_todo", {"title": "Alice: done"}), "alice")["id"]}), "alice completes")
        for arguments in ({"title": "Bob: fix bike"}, {"title": "Bob: water plants", "dueDate": "2026-06-30", "priority": "low"}):
            expect_ok(bob.tool("create_todo", arguments), "bob creates a todo")
        ctx.fixtures["mallory-id"] = expect_ok(mallory.tool("create_todo", {"title": "Mallory: scratch", "notes": "n"}), "mallory")["id"]
        ctx.fixtures["mallory-doomed"] = expect_ok(mallory.tool("create_todo", {"title": "Mallory: doomed"}), "mallory")["id"]
        ctx.fixtures["mallory-cursor"] = expect_ok(mallory.tool("list_todos", {"limit": 1}), "mallory lists")["nextCursor"]
        listing = expect_ok(alice.tool("list_todos", {"limit": 1}), "alice lists")
        ctx.fixtures["alice-cursor"] = listing["nextCursor"]
        ctx.sentinels = {"alice": alice.all_todos(), "bob": bob.all_todos()}
        ctx.fixtures["alice-ids"] = sorted(todo_id for todo_id, todo in ctx.sentinels["alice"].items() if not todo["completed"])
    finally:
        for client in (alice, bob, mallory):
            client.close()


def expect_ok(outcome, what):
    if not outcome.ok:
        raise ServerError(f"setup failed ({what}): {outcome.describe()}")
    return outcome.value


def warm_up(ctx, rounds):
    client = ctx.client("rw")
    legacy = ctx.client("rw", era=LEGACY)
    try:
        for n in range(rounds):
            client.call("tools/list")
            client.tool("list_todos", {"limit": 20})
            legacy.tool("list_todos", {})
            ctx.send("GET", "/health")
    finally:
        legacy.end_session()
        client.close()
        legacy.close()


def final_checks(ctx, report, rss_after_warm_up):
    server = ctx.server
    report.check("[final] server still running", server.alive(), "the process alive", f"exit status {server.process.returncode}")
    if not server.alive():
        print(server.log_tail())
        return
    try:
        health = Connection(ctx.port, timeout=5).request("GET", "/health", close=True)
        report.check("[final] /health", health.status == 200 and (health.json() or {}).get("status") == "ok", 'HTTP 200 {"status":"ok"}', health.summary())
    except NoResponse as error:
        report.fail("[final] /health", "HTTP 200", f"no response ({error})")
    for who in ("alice", "bob"):
        client = ctx.client(who)
        try:
            now = client.all_todos()
            report.check(f"[final] {who}'s todos unchanged", now == ctx.sentinels[who], f"exactly the {len(ctx.sentinels[who])} todos from the start", diff_todos(ctx.sentinels[who], now))
        except Exception as error:
            report.fail(f"[final] {who}'s todos unchanged", "a listing", error)
        finally:
            client.close()
    rss = server.rss_kb()
    grew = rss - rss_after_warm_up
    print(f"memory: RSS {fmt_mb(rss_after_warm_up)} after warm-up, {fmt_mb(rss)} after all cases ({'+' if grew >= 0 else ''}{fmt_mb(grew)})")
    report.check("[final] RSS bounded", grew < RSS_GROWTH_LIMIT_KB, f"RSS growth below {fmt_mb(RSS_GROWTH_LIMIT_KB)}", f"{fmt_mb(rss_after_warm_up)} -> {fmt_mb(rss)}")


def diff_todos(before, after):
    gone = sorted(set(before) - set(after))
    new = sorted(set(after) - set(before))
    changed = sorted(todo_id for todo_id in set(before) & set(after) if before[todo_id] != after[todo_id])
    titles = lambda ids, source: [source[todo_id]["title"][:40] for todo_id in ids]  # noqa: E731
    return f"missing {titles(gone, before)}, new {titles(new, after)}, changed {titles(changed, after)}"


def all_cases():
    return transport_cases() + tool_cases() + oauth_cases() + discovery_cases() + injection_cases() + secret_cases() + path_cases() + long_cases()


def main():
    arguments = parse_arguments(__doc__.split("\n\n")[0])
    stop_cleanly_on_signals()
    report = Report("matrix")
    cases = all_cases()
    print(f"matrix: {len(cases) + len(slow_cases()) + 2 + FINAL_CHECKS} cases against {arguments.binary}", flush=True)
    folder = temporary_folder("harden-matrix-", keep=arguments.keep)
    for part in ("main", "slow"):
        os.makedirs(os.path.join(folder, part))
    main_server = Server(arguments.binary, os.path.join(folder, "main"), settings={"TRUSTED_PROXIES": "127.0.0.1", "MAX_REQUEST_BYTES": MAX_REQUEST_BYTES}, name="main")
    slow_server = Server(arguments.binary, os.path.join(folder, "slow"), settings={"IDLE_TIMEOUT": SLOW_TIMEOUT, "READ_TIMEOUT": SLOW_TIMEOUT}, name="slow")

    def body():
        main_server.start()
        slow_server.start()
        ctx = Context(main_server)
        set_up(ctx)
        warm_up(ctx, 30 if arguments.quick else 100)
        rss_after_warm_up = main_server.rss_kb()
        for case in cases:
            run_case(case, ctx, report)
            if not main_server.alive():
                report.fail(f"[{case.group}] {case.name}", "the server to keep running", f"it exited with {main_server.process.returncode}; log:\n{main_server.log_tail()}")
                break
        run_slow_cases(slow_server.port, report)
        final_checks(ctx, report, rss_after_warm_up)

    return run_guarded(
        report,
        body,
        expected="a running server with signed-in users",
        servers=(main_server, slow_server),
        folder=folder,
        keep=arguments.keep,
    )

if __name__ == "__main__":
    sys.exit(main())
