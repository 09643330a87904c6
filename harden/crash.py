#!/usr/bin/env python3
"""Crash safety: writes the server acknowledged survive `kill -9`.

Each round, 8 client threads create and update todos through tools/call (both protocol eras) and
record every write whose answer was a successful tool result. After a random 1-3 s the server is
killed with SIGKILL; a copy of the database is checked with `PRAGMA integrity_check`; the server is
restarted on the same database and port (tokens stay valid: the signing keys are in the database),
and every acknowledged write of every round must be visible: the todo exists with the acknowledged
content or with that of a later write to it (acknowledged or still in flight at the kill).
Prints one line per failure and `crash: N passed, M failed`.

    python3 harden/crash.py --binary .build/debug/todo-server [--quick]
"""

import os
import random
import re
import shutil
import sqlite3
import sys
import threading
import time
from dataclasses import dataclass, field

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import (  # noqa: E402
    LEGACY,
    MODERN,
    Addresses,
    FlowError,
    McpClient,
    NoResponse,
    Report,
    Server,
    parse_arguments,
    run_guarded,
    sign_in,
    stop_cleanly_on_signals,
    temporary_folder,
)

USERS = 4
WRITERS = 8
UPDATE_SHARE = 0.45
VERSION = re.compile(r" v(\d+)$")


@dataclass
class TrackedTodo:
    """What was written to one todo: every version sent (title, notes) and the highest acknowledged."""

    id: str
    user: int
    round: int
    versions: dict = field(default_factory=dict)
    acknowledged: int = 0

    @property
    def sent(self):
        return max(self.versions)


class Ledger:
    """Every todo the writers created with an acknowledgement, across rounds."""

    def __init__(self):
        self.lock = threading.Lock()
        self.todos = {}
        self.acknowledged_writes = {}  # round -> {"create": n, "update": n}

    def count(self, round, kind):
        with self.lock:
            counts = self.acknowledged_writes.setdefault(round, {"create": 0, "update": 0})
            counts[kind] += 1

    def add(self, todo):
        with self.lock:
            self.todos[todo.id] = todo


class Writer(threading.Thread):
    """One client: creates todos and updates its own, until the server stops answering."""

    def __init__(self, round, number, port, tokens, user, era, ledger, address):
        super().__init__(daemon=True, name=f"writer-{number}")
        self.round, self.number, self.user, self.ledger = round, number, user, ledger
        self.client = McpClient(port, tokens.access, era=era, address=address, timeout=10)
        self.mine = []
        self.writes = 0
        self.problems = []
        self.random = random.Random()

    def run(self):
        try:
            while True:
                if self.mine and self.random.random() < UPDATE_SHARE:
                    self.update(self.random.choice(self.mine))
                else:
                    self.create()
                self.writes += 1
        except (NoResponse, OSError):
            pass  # the server was killed: the connection failed, as expected
        except FlowError as error:
            self.problems.append(f"writer {self.number}: {error}")
        finally:
            self.client.close()

    def content(self, tag, version):
        title = f"{tag} v{version}"
        notes = f"v{version}:" + "".join(self.random.choice("abcdefghij") for _ in range(self.random.randint(0, 300)))
        return title, notes

    def create(self):
        tag = f"r{self.round}w{self.number}n{self.writes}"
        title, notes = self.content(tag, 1)
        outcome = self.client.tool("create_todo", {"title": title, "notes": notes})
        if not outcome.ok:
            raise FlowError("create_todo", "a successful tool result", outcome.describe())
        todo = TrackedTodo(outcome.value["id"], self.user, self.round, {1: (title, notes)}, acknowledged=1)
        self.mine.append(todo)
        self.ledger.add(todo)
        self.ledger.count(self.round, "create")

    def update(self, todo):
        version = todo.sent + 1
        tag = todo.versions[1][0].rsplit(" v", 1)[0]
        title, notes = self.content(tag, version)
        todo.versions[version] = (title, notes)  # in flight from here on
        outcome = self.client.tool("update_todo", {"id": todo.id, "title": title, "notes": notes})
        if not outcome.ok:
            raise FlowError("update_todo", "a successful tool result", outcome.describe())
        todo.acknowledged = version
        self.ledger.count(self.round, "update")


# MARK: Checks


def integrity_of_copy(database, scratch):
    """`PRAGMA integrity_check` on a copy of the database and its write-ahead log, as the kill left them
    (a copy, so that recovering the log here does not do the restarted server's work for it).
    Returns the check's rows and the number of todo rows (None when the copy cannot be read)."""
    os.makedirs(scratch, exist_ok=True)
    copy = os.path.join(scratch, "copy.sqlite")
    for suffix in ("", "-wal"):
        if os.path.exists(database + suffix):
            shutil.copyfile(database + suffix, copy + suffix)
    try:
        connection = sqlite3.connect(copy, timeout=10)
        try:
            rows = [row[0] for row in connection.execute("PRAGMA integrity_check").fetchall()]
            todos = connection.execute("SELECT count(*) FROM todos").fetchone()[0]
        finally:
            connection.close()
    except sqlite3.Error as error:
        rows, todos = [f"sqlite3 error: {error}"], None
    finally:
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(copy + suffix):
                os.remove(copy + suffix)
    return rows, todos


def check_todo(tracked, found):
    """None when the todo as found holds an acknowledged version or a later one that was sent; else the problem."""
    if found is None:
        return f"todo {tracked.id} (acknowledged v{tracked.acknowledged}: {tracked.versions[tracked.acknowledged][0]!r}) is missing"
    match = VERSION.search(found["title"])
    version = int(match.group(1)) if match else None
    if version is None or version not in tracked.versions:
        return f"todo {tracked.id} has title {found['title']!r}, which was never written"
    if version < tracked.acknowledged:
        return f"todo {tracked.id} is at v{version} ({found['title']!r}) but v{tracked.acknowledged} was acknowledged"
    title, notes = tracked.versions[version]
    if found["title"] != title or found["notes"] != notes:
        return f"todo {tracked.id} v{version} has title {found['title']!r} and notes {str(found['notes'])[:40]!r}..., not what v{version} wrote"
    return None


def verify(port, tokens, ledger, round, report):
    """Checks every acknowledged write of every round against what the restarted server lists."""
    listings = {}
    for user, user_tokens in enumerate(tokens):
        client = McpClient(port, user_tokens.access, address=f"10.200.0.{user + 1}")
        try:
            listings[user] = client.all_todos()
        except (FlowError, NoResponse) as error:
            report.fail(f"round {round}: listing user {user} after the restart", "the todos (the access token survives the restart)", error)
            return
        finally:
            client.close()
    earlier_problems, earlier = [], 0
    for tracked in ledger.todos.values():
        problem = check_todo(tracked, listings[tracked.user].get(tracked.id))
        if tracked.round == round:
            writes = tracked.acknowledged  # the create and each acknowledged update
            if problem:
                report.fail(f"round {round}: {writes} acknowledged writes to {tracked.id}", "them on disk after kill -9", problem, count=writes)
            else:
                for _ in range(writes):
                    report.ok()
        else:
            earlier += 1
            if problem:
                earlier_problems.append(problem)
    if earlier:
        report.check(f"round {round}: {earlier} todos of earlier rounds", not earlier_problems, "still as acknowledged", "; ".join(earlier_problems[:5]))


# MARK: Rounds


def run_round(round, server, tokens, ledger, addresses, report, scratch):
    writers = [Writer(round, n, server.port, tokens[n % USERS], n % USERS, MODERN if n % 2 == 0 else LEGACY, ledger, addresses.next()) for n in range(WRITERS)]
    for writer in writers:
        writer.start()
    pause = random.uniform(1.0, 3.0)
    time.sleep(pause)
    server.kill9()
    for writer in writers:
        writer.join(timeout=20)
    stuck = [writer.name for writer in writers if writer.is_alive()]
    report.check(f"round {round}: writers stop after the kill", not stuck, "every client to notice the dead server within 20 s", f"still running: {stuck}")
    for writer in writers:
        for problem in writer.problems:
            report.fail(f"round {round}: a write before the kill", "a successful tool result", problem)

    checks, todos = integrity_of_copy(server.database, scratch)
    report.check(f"round {round}: PRAGMA integrity_check after kill -9", checks == ["ok"], "ok", checks[:5])

    server.start()
    counts = ledger.acknowledged_writes.get(round, {"create": 0, "update": 0})
    acknowledged = counts["create"] + counts["update"]
    print(
        f"round {round}: killed after {pause:.1f} s; {acknowledged} acknowledged writes checked "
        f"({counts['create']} creates, {counts['update']} updates); {todos} todo rows on disk; restarted",
        flush=True,
    )
    report.check(f"round {round}: writes acknowledged before the kill", acknowledged > 0, "at least one", 0)
    verify(server.port, tokens, ledger, round, report)


def main():
    arguments = parse_arguments(__doc__.split("\n\n")[0], lambda parser: parser.add_argument("--rounds", type=int, help="rounds (default 5, 2 with --quick)"))
    stop_cleanly_on_signals()
    rounds = arguments.rounds or (2 if arguments.quick else 5)
    report = Report("crash")
    folder = temporary_folder("harden-crash-", keep=arguments.keep)
    server = Server(arguments.binary, folder, settings={"TRUSTED_PROXIES": "127.0.0.1"}, name="crash")
    addresses = Addresses()
    ledger = Ledger()

    def body():
        server.start()
        tokens = [sign_in(server.port, f"crash{user}@example.com", addresses.next()) for user in range(USERS)]
        for round in range(1, rounds + 1):
            run_round(round, server, tokens, ledger, addresses, report, os.path.join(folder, "scratch"))
        status = server.stop()
        report.check("graceful stop after the last round", status == 0, "exit status 0 on SIGTERM", status)
        total = sum(counts["create"] + counts["update"] for counts in ledger.acknowledged_writes.values())
        print(f"{total} acknowledged writes on {len(ledger.todos)} todos over {rounds} rounds")

    return run_guarded(
        report,
        body,
        expected="a server that starts, signs in and restarts",
        servers=(server,),
        folder=folder,
        keep=arguments.keep,
        errors=(sqlite3.Error,),
    )

if __name__ == "__main__":
    sys.exit(main())
