"""FastMCP's client with a bearer token from the real OAuth flow."""

import asyncio

from fastmcp import Client

from server import OAuthSession


def test_fastmcp_tool_round_trip(server):
    session = OAuthSession(server.base, "fastmcp@example.com")

    async def run():
        async with Client(server.base + "/", auth=session.access_token) as client:
            tools = await client.list_tools()
            assert {tool.name for tool in tools} == {"list_todos", "get_todo", "create_todo", "update_todo", "complete_todo", "delete_todo"}
            created = await client.call_tool("create_todo", {"title": "From FastMCP"})
            todo = created.structured_content
            assert todo["title"] == "From FastMCP"
            listed = await client.call_tool("list_todos", {})
            assert [item["id"] for item in listed.structured_content["todos"]] == [todo["id"]]
            done = await client.call_tool("complete_todo", {"id": todo["id"]})
            assert done.structured_content["completed"] is True

    asyncio.run(run())
