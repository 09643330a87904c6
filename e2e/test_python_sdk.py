"""The official MCP Python SDK, with its own OAuth client, against the real server."""

import asyncio
import urllib.parse
import urllib.request

import httpx2
import pytest
from mcp import Client
from mcp.client.auth import OAuthClientProvider, TokenStorage
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import AuthorizationCodeResult, OAuthClientMetadata

from server import Http, OAuthSession, pkce_pair, sign_in


class MemoryStorage(TokenStorage):
    def __init__(self):
        self.tokens = None
        self.client_info = None

    async def get_tokens(self):
        return self.tokens

    async def set_tokens(self, tokens):
        self.tokens = tokens

    async def get_client_info(self):
        return self.client_info

    async def set_client_info(self, client_info):
        self.client_info = client_info


def sdk_client(server, email: str, mode: str, code_for=None):
    """An SDK client that signs `email` in through the HTML forms when the server asks."""
    storage = MemoryStorage()
    result = {}
    # A server behind a TLS proxy carries the context that trusts the proxy's certificate authority.
    context = getattr(server, "ssl_context", None)
    browser = Http(server.base, context)

    async def redirect_handler(url: str):
        parsed = urllib.parse.urlparse(url)
        assert f"{parsed.scheme}://{parsed.netloc}" == server.base
        parameters = sign_in(browser, parsed.path + "?" + parsed.query, email, code_for)
        result["code"] = AuthorizationCodeResult(code=parameters["code"], state=parameters.get("state"), iss=parameters.get("iss"))

    async def callback_handler():
        return result["code"]

    provider = OAuthClientProvider(
        server_url=server.mcp_url,
        client_metadata=OAuthClientMetadata(
            client_name="python-sdk-e2e",
            redirect_uris=["http://127.0.0.1:9/callback"],
            grant_types=["authorization_code", "refresh_token"],
            response_types=["code"],
            token_endpoint_auth_method="none",
        ),
        storage=storage,
        redirect_handler=redirect_handler,
        callback_handler=callback_handler,
    )
    http = httpx2.AsyncClient(auth=provider, timeout=30, verify=context or True)
    return http, Client(streamable_http_client(server.mcp_url, http_client=http), mode=mode), storage


async def exercise_every_tool(server, email: str, mode: str, code_for=None) -> str:
    http, client, _ = sdk_client(server, email, mode, code_for)
    async with http, client:
        tools = (await client.list_tools()).tools
        names = [tool.name for tool in tools]
        assert names == ["list_todos", "get_todo", "create_todo", "update_todo", "complete_todo", "complete_todos", "delete_todo", "set_time_zone"]

        # The todo widget (MCP Apps): linked from list_todos, readable as the app's HTML.
        widget = tools[0].meta["ui"]["resourceUri"]
        view = (await client.read_resource(widget)).contents[0]
        assert widget.startswith("ui://todos/list@") and view.mime_type == "text/html;profile=mcp-app"
        assert view.text.startswith("<!doctype html>") and view.meta["ui"]["prefersBorder"] is True

        created = await client.call_tool("create_todo", {"title": f"Buy milk ({mode})", "dueDate": "2026-12-24", "priority": "high"})
        assert not created.is_error, created.content
        todo = created.structured_content
        assert todo["title"] == f"Buy milk ({mode})" and todo["priority"] == "high" and todo["completed"] is False

        fetched = await client.call_tool("get_todo", {"id": todo["id"]})
        assert fetched.structured_content == todo

        updated = await client.call_tool("update_todo", {"id": todo["id"], "notes": "oat milk", "dueDate": None})
        assert updated.structured_content["notes"] == "oat milk" and updated.structured_content["dueDate"] is None

        completed = await client.call_tool("complete_todo", {"id": todo["id"]})
        assert completed.structured_content["completed"] is True

        listed = await client.call_tool("list_todos", {"status": "completed"})
        assert [item["id"] for item in listed.structured_content["todos"]] == [todo["id"]]

        invalid = await client.call_tool("create_todo", {"title": "   "})
        assert invalid.is_error and "title" in invalid.content[0].text

        deleted = await client.call_tool("delete_todo", {"id": todo["id"]})
        assert deleted.structured_content["deleted"] is True
        missing = await client.call_tool("get_todo", {"id": todo["id"]})
        assert missing.is_error

        version = client.session.protocol_version if hasattr(client.session, "protocol_version") else None
        return str(version)


def test_modern_era_every_tool(server):
    version = asyncio.run(exercise_every_tool(server, "modern@example.com", "auto"))
    assert version == "2026-07-28"


def test_legacy_era_every_tool(server):
    version = asyncio.run(exercise_every_tool(server, "legacy@example.com", "legacy"))
    assert version == "2025-11-25"


@pytest.mark.parametrize(("mode", "expected"), [("auto", "2026-07-28"), ("legacy", "2025-11-25")])
def test_embedded_example_every_tool(embedded, mode, expected):
    """The libraries mounted in another Hummingbird app: discovery, sign-in and every tool at /mcp."""
    version = asyncio.run(exercise_every_tool(embedded, f"embedded-{mode}@example.com", mode))
    assert version == expected
    with urllib.request.urlopen(embedded.base + "/") as response:
        assert response.read() == b"host app", "the host keeps its own routes"


def test_two_users_never_see_each_others_todos(server):
    async def run():
        http_a, alice, _ = sdk_client(server, "alice@example.com", "auto")
        http_b, bob, _ = sdk_client(server, "bob@example.com", "legacy")
        async with http_a, alice, http_b, bob:
            secret = (await alice.call_tool("create_todo", {"title": "Alice's secret"})).structured_content
            await bob.call_tool("create_todo", {"title": "Bob's errand"})
            bobs = (await bob.call_tool("list_todos", {"status": "all"})).structured_content["todos"]
            assert [todo["title"] for todo in bobs] == ["Bob's errand"]
            for tool in ["get_todo", "complete_todo", "delete_todo"]:
                attempt = await bob.call_tool(tool, {"id": secret["id"]})
                assert attempt.is_error and "Alice" not in attempt.content[0].text
            still = (await alice.call_tool("get_todo", {"id": secret["id"]})).structured_content
            assert still["title"] == "Alice's secret" and still["completed"] is False

    asyncio.run(run())


def test_refresh_rotation_and_revocation(server):
    session = OAuthSession(server.base, "rotate@example.com")
    first_refresh = session.refresh_token

    rotated = session.token(grant_type="refresh_token", refresh_token=first_refresh)
    assert rotated.status == 200 and rotated.headers.get("Cache-Control") == "no-store"
    new_access, new_refresh = rotated.json()["access_token"], rotated.json()["refresh_token"]
    assert new_refresh != first_refresh

    async def call(token):
        async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=30) as http:
            async with Client(streamable_http_client(server.base + "/", http_client=http)) as client:
                return await client.call_tool("list_todos", {})

    assert not asyncio.run(call(new_access)).is_error

    assert session.http.form("/oauth/revoke", [("token", new_refresh), ("client_id", session.client_id)]).status == 200
    refused = session.token(grant_type="refresh_token", refresh_token=new_refresh)
    assert refused.status == 400 and refused.json()["error"] == "invalid_grant"

    assert session.http.form("/oauth/revoke", [("token", new_access)]).status == 200
    with pytest.raises(Exception):
        asyncio.run(call(new_access))


def test_pkce_is_enforced(server):
    session = OAuthSession(server.base, "pkce@example.com")
    _, challenge = pkce_pair()
    parameters = sign_in(session.http, session.authorize_url(challenge), "pkce@example.com")
    wrong_verifier, _ = pkce_pair()
    refused = session.token(grant_type="authorization_code", code=parameters["code"], redirect_uri=session.redirect_uri, code_verifier=wrong_verifier)
    assert refused.status == 400 and refused.json()["error"] == "invalid_grant"
