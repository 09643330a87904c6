"""FastMCP's client with a bearer token from the real OAuth flow."""

import asyncio

from fastmcp import Client

from server import OAuthSession


def test_fastmcp_tool_round_trip(server):
    session = OAuthSession(server.base, "fastmcp@example.com")

    async def run():
        async with Client(server.base + "/", auth=session.access_token) as client:
            tools = await client.list_tools()
            assert {tool.name for tool in tools} == {
                "list_todos", "get_todo", "create_todo", "update_todo", "complete_todo", "complete_todos", "delete_todo", "set_time_zone",
            }
            created = await client.call_tool("create_todo", {"title": "From FastMCP", "tags": ["Work"]})
            todo = created.structured_content
            assert todo["title"] == "From FastMCP"
            listed = await client.call_tool("list_todos", {"tag": "work"})
            assert [item["id"] for item in listed.structured_content["todos"]] == [todo["id"]]
            done = await client.call_tool("complete_todos", {"ids": [todo["id"]]})
            assert done.structured_content["completed"][0]["completed"] is True
            prompts = await client.list_prompts()
            assert [prompt.name for prompt in prompts] == ["plan-my-day", "weekly-review", "triage"]

    asyncio.run(run())
