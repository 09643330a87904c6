"""Live notifications with the official MCP SDK client: a client of one person hears, within 200 ms,
what another client of the same person changes; a client of another person hears nothing.

2026-07-28: `Client.listen()` (subscriptions/listen). Legacy: `resources/subscribe` and the session's
GET stream, which the SDK opens by itself after `initialize`. Prompts and resources are read too.
Each measured delay is written to e2e/out/notification-latency.json.
"""

import asyncio
import json
import os
import statistics
import time

import pytest
from mcp.client.subscriptions import ResourcesListChanged, ResourceUpdated

from server import Server
from test_python_sdk import sdk_client

DEADLINE = 0.2  # seconds from a write's answer to the notification


@pytest.fixture(scope="module")
def live():
    """A server of its own: these tests sign in several times from one address."""
    binary = os.environ.get("TODO_SERVER_BINARY", os.path.join(os.path.dirname(__file__), "..", ".build", "debug", "todo-server"))
    running = Server(os.path.abspath(binary), extra_environment={"STREAM_KEEPALIVE": "5"})
    yield running
    assert running.stop() == 0, "the server hung or failed on SIGTERM with streams open"


def record(name: str, delays: list[float]):
    folder = os.path.join(os.path.dirname(__file__), "out")
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "notification-latency.json")
    results = json.load(open(path)) if os.path.exists(path) else {}
    results[name] = {"count": len(delays), "median_ms": round(statistics.median(delays) * 1000, 2), "max_ms": round(max(delays) * 1000, 2)}
    json.dump(results, open(path, "w"), indent=2)


def notification(message):
    """The method and URI of a notification the SDK hands to a message handler, else (None, None)."""
    inner = getattr(message, "root", message)
    method = getattr(inner, "method", None)
    return method, getattr(getattr(inner, "params", None), "uri", None)


async def wait_for(events: asyncio.Queue, predicate, started: float) -> float:
    """The delay from `started` to the first event that satisfies `predicate`; fails past the deadline."""
    while True:
        remaining = started + 2 - time.monotonic()
        event = await asyncio.wait_for(events.get(), timeout=max(remaining, 0.01))
        if predicate(event):
            return time.monotonic() - started


def test_modern_listen_hears_another_clients_writes(live):
    async def run():
        http_a, watcher, _ = sdk_client(live, "listener@example.com", "auto")
        http_b, writer, _ = sdk_client(live, "listener@example.com", "auto")
        http_c, stranger, _ = sdk_client(live, "stranger@example.com", "auto")
        async with http_a, watcher, http_b, writer, http_c, stranger:
            first = (await writer.call_tool("create_todo", {"title": "Watched", "dueDate": "2030-01-01"})).structured_content
            uri = f"todo://todos/{first['id']}"
            heard: asyncio.Queue = asyncio.Queue()
            strangers: asyncio.Queue = asyncio.Queue()

            async with watcher.listen(resources_list_changed=True, resource_subscriptions=[uri, "todo://views/open"]) as subscription:
                assert subscription.honored.resources_list_changed
                assert set(subscription.honored.resource_subscriptions) == {uri, "todo://views/open"}
                async with stranger.listen(resources_list_changed=True, resource_subscriptions=["todo://views/open"]) as other:

                    async def pump(source, queue):
                        async for event in source:
                            await queue.put(event)

                    pumps = [asyncio.create_task(pump(subscription, heard)), asyncio.create_task(pump(other, strangers))]
                    delays = []

                    started = time.monotonic()
                    await writer.call_tool("update_todo", {"id": first["id"], "priority": "high"})
                    delays.append(await wait_for(heard, lambda e: isinstance(e, ResourceUpdated) and e.uri == uri, started))

                    started = time.monotonic()
                    created = (await writer.call_tool("create_todo", {"title": "New"})).structured_content
                    delays.append(await wait_for(heard, lambda e: isinstance(e, ResourcesListChanged), started))

                    started = time.monotonic()
                    await writer.call_tool("complete_todos", {"ids": [created["id"]]})
                    delays.append(await wait_for(heard, lambda e: isinstance(e, ResourceUpdated) and e.uri == "todo://views/open", started))

                    started = time.monotonic()
                    await writer.call_tool("delete_todo", {"id": first["id"]})
                    delays.append(await wait_for(heard, lambda e: isinstance(e, ResourceUpdated) and e.uri == uri, started))

                    # The stranger heard none of it: the first thing it hears is its own write.
                    await stranger.call_tool("create_todo", {"title": "Stranger's own"})
                    own = await asyncio.wait_for(strangers.get(), timeout=2)
                    assert isinstance(own, (ResourcesListChanged, ResourceUpdated))
                    read = await stranger.read_resource("todo://views/open")
                    assert "Stranger's own" in read.contents[0].text and "New" not in read.contents[0].text

                    for task in pumps:
                        task.cancel()
            return delays

    delays = asyncio.run(run())
    record("2026-07-28 listen", delays)
    assert max(delays) < DEADLINE, f"notification delays {delays}"


def test_legacy_get_stream_hears_another_clients_writes(live):
    async def run():
        heard: asyncio.Queue = asyncio.Queue()
        strangers: asyncio.Queue = asyncio.Queue()

        def collecting(queue):
            async def handler(message):
                method, uri = notification(message)
                if method and method.startswith("notifications/resources/"):
                    await queue.put((method, uri))

            return handler

        async def warm_up(client, queue, title):
            """The SDK opens its GET stream on its own after initialize; write until it delivers."""
            for attempt in range(50):
                await client.call_tool("create_todo", {"title": f"{title} {attempt}"})
                try:
                    await asyncio.wait_for(queue.get(), timeout=0.2)
                    break
                except asyncio.TimeoutError:
                    continue
            await asyncio.sleep(0.2)
            while not queue.empty():
                queue.get_nowait()

        http_a, watcher, _ = sdk_client(live, "legacy-listener@example.com", "legacy")
        watcher.message_handler = collecting(heard)
        http_b, writer, _ = sdk_client(live, "legacy-listener@example.com", "auto")
        http_c, stranger, _ = sdk_client(live, "legacy-stranger@example.com", "legacy")
        stranger.message_handler = collecting(strangers)
        async with http_a, watcher, http_b, writer, http_c, stranger:
            assert watcher.session.protocol_version == "2025-11-25"
            target = (await writer.call_tool("create_todo", {"title": "Target"})).structured_content
            target_uri = f"todo://todos/{target['id']}"
            await watcher.subscribe_resource("todo://views/open")
            # The stranger subscribes to the views and, as an attacker would, to the listener's todo.
            await stranger.subscribe_resource("todo://views/open")
            await stranger.subscribe_resource(target_uri)
            await warm_up(watcher, heard, "Warm-up")
            await warm_up(stranger, strangers, "Stranger warm-up")

            delays = []
            for title in ["One", "Two", "Three"]:
                started = time.monotonic()
                await writer.call_tool("create_todo", {"title": title})
                delays.append(await wait_for(heard, lambda m: m == ("notifications/resources/updated", "todo://views/open"), started))
            await writer.call_tool("update_todo", {"id": target["id"], "notes": "changed"})
            await watcher.unsubscribe_resource("todo://views/open")

            # Notifications arrive in order, so anything leaked would come before the stranger's own.
            await stranger.call_tool("create_todo", {"title": "Stranger's marker"})
            while strangers.qsize() < 2:
                await asyncio.sleep(0.01)
            await asyncio.sleep(0.2)
            heard_by_stranger = [strangers.get_nowait() for _ in range(strangers.qsize())]
            assert heard_by_stranger == [
                ("notifications/resources/updated", "todo://views/open"),
                ("notifications/resources/list_changed", None),
            ], heard_by_stranger
            return delays

    delays = asyncio.run(run())
    record("legacy GET stream", delays)
    assert max(delays) < DEADLINE, f"notification delays {delays}"


def test_prompts_and_resources_through_the_sdk(live):
    async def run():
        for mode in ["auto", "legacy"]:
            http, client, _ = sdk_client(live, "prompts@example.com", mode)
            async with http, client:
                await client.call_tool("create_todo", {"title": f"Pay rent ({mode})", "priority": "high"})
                prompts = [prompt.name for prompt in (await client.list_prompts()).prompts]
                assert prompts == ["plan-my-day", "weekly-review", "triage"]
                plan = await client.get_prompt("plan-my-day", {})
                assert f"Pay rent ({mode})" in plan.messages[0].content.text
                assert plan.messages[1].content.type == "resource_link"
                resources = (await client.list_resources()).resources
                assert str(resources[0].uri).startswith("ui://todos/list@") and resources[0].mime_type == "text/html;profile=mcp-app"
                assert [str(r.uri) for r in resources[1:4]] == ["todo://views/open", "todo://views/today", "todo://views/overdue"]
                linked = await client.read_resource(str(plan.messages[1].content.uri))
                assert [c.mime_type for c in linked.contents] == ["application/json", "text/markdown"]
                templates = (await client.list_resource_templates()).resource_templates
                assert [t.uri_template for t in templates] == ["todo://todos/{id}"]

    asyncio.run(run())
