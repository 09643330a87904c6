#!/usr/bin/env python3
"""Bounded soak: sign-ins, refresh-token rotations and tool calls in both protocol eras for a fixed
time, every answer a success, while the server's memory and open file descriptors stay flat.

Threads: one signs users in through the full flow, one rotates refresh tokens, four call tools
(two in the 2026-07-28 era, two in 2025-03-26 sessions), each simulated client with its own
X-Forwarded-For address. RSS (/proc/PID/status VmRSS) and the count of /proc/PID/fd are sampled
every few seconds; after the first third (warm-up) the last sample must stay within
max(+20 %, +24 MB) of RSS and +20 descriptors of the first post-warm-up sample.
Prints the samples, the totals, one line per failure, and `soak: N passed, M failed`.

    python3 harden/soak.py --binary .build/debug/todo-server [--quick] [--seconds 180]
"""

import itertools
import os
import random
import sys
import threading
import time
from dataclasses import dataclass

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import (  # noqa: E402
    LEGACY,
    MODERN,
    Addresses,
    Browser,
    Connection,
    Counter,
    FlowError,
    McpClient,
    NoResponse,
    Report,
    Server,
    fmt_mb,
    parse_arguments,
    run_guarded,
    refresh,
    requests_sent,
    sign_in,
    stop_cleanly_on_signals,
    temporary_folder,
)

LOGINS_PER_SECOND = 4
REFRESHES_PER_SECOND = 10
FAMILIES = 16
SESSION_CALLS = 60
RSS_SLACK_SHARE = 0.20
RSS_SLACK_KB = 24 * 1024
FD_SLACK = 20


class TokenPool:
    """The newest tokens of the last few sign-ins: refreshes rotate them, tool calls use them."""

    def __init__(self):
        self.lock = threading.Lock()
        self.families = []
        self.turn = itertools.count()

    def add(self, tokens):
        with self.lock:
            self.families.append(tokens)
            del self.families[:-FAMILIES]

    def next_for_refresh(self):
        with self.lock:
            index = next(self.turn) % len(self.families)
            return index, self.families[index]

    def replace(self, old, new):
        with self.lock:
            if old in self.families:
                self.families[self.families.index(old)] = new

    def any(self):
        with self.lock:
            return random.choice(self.families)


@dataclass
class Totals:
    logins: Counter
    refreshes: Counter
    tool_calls: Counter
    errors: Counter


class Soak:
    """The workers, their shared tokens and totals, and the sampling loop."""

    def __init__(self, server, report):
        self.server = server
        self.port = server.port
        self.report = report
        self.stop = threading.Event()
        self.addresses = Addresses(pool=1024)
        self.emails = itertools.count(1)
        self.pool = TokenPool()
        self.totals = Totals(Counter(), Counter(), Counter(), Counter())

    def failed(self, what, expected, got):
        self.totals.errors.add()
        self.report.fail(what, expected, got)
        self.stop.wait(0.2)  # no busy loop against a server that stopped answering

    def paced(self, per_second, step):
        """Runs `step` about `per_second` times a second until the soak stops."""
        while not self.stop.is_set():
            started = time.monotonic()
            step()
            self.stop.wait(max(0.0, 1.0 / per_second - (time.monotonic() - started)))

    # MARK: Workers

    def log_in_once(self):
        email = f"soak{next(self.emails)}@example.com"
        try:
            self.pool.add(sign_in(self.port, email, self.addresses.next(), client_name=f"soak {random.randint(1, 8)}"))
            self.totals.logins.add()
            self.report.ok()
        except (FlowError, NoResponse, OSError) as error:
            self.failed("login", "a full sign-in with tokens", error)

    def refresh_once(self, browser):
        _, tokens = self.pool.next_for_refresh()
        browser.address = self.addresses.next()
        try:
            self.pool.replace(tokens, refresh(browser, tokens))
            self.totals.refreshes.add()
            self.report.ok()
        except (FlowError, NoResponse, OSError) as error:
            self.failed("refresh", "200 with rotated tokens", error)

    def refresher(self):
        browser = Browser(self.port)
        try:
            self.paced(REFRESHES_PER_SECOND, lambda: self.refresh_once(browser))
        finally:
            browser.close()

    def tool_caller(self, era):
        client = McpClient(self.port, self.pool.any().access, era=era, address=self.addresses.next())
        calls = 0
        try:
            while not self.stop.is_set():
                if calls >= SESSION_CALLS:
                    self.switch_user(client)
                    calls = 0
                calls += self.todo_cycle(client)
        finally:
            client.close()

    def switch_user(self, client):
        """A new token (often another user's); a legacy client ends its session and starts another."""
        if client.era == LEGACY and client.session:
            try:
                answer = client.end_session()
                if answer.status != 204:
                    self.failed("DELETE legacy session", "204", answer.summary())
            except NoResponse as error:
                self.failed("DELETE legacy session", "204", error)
                client.close()
        client.token = self.pool.any().access
        client.address = self.addresses.next()

    def todo_cycle(self, client):
        """Create, read, update, complete, list and delete one todo; returns the calls made."""
        tag = f"soak {client.era} {random.randint(0, 1 << 30)}"
        steps = [
            ("create_todo", lambda state: {"title": tag, "notes": "n" * random.randint(0, 500), "dueDate": "2027-01-15", "priority": "high"}),
            ("get_todo", lambda state: {"id": state["id"]}),
            ("update_todo", lambda state: {"id": state["id"], "title": tag + " (edited)", "notes": None}),
            ("complete_todo", lambda state: {"id": state["id"]}),
            ("list_todos", lambda state: {"status": "all", "limit": 20, "query": "soak"}),
            ("delete_todo", lambda state: {"id": state["id"]}),
        ]
        state = {}
        for number, (tool, arguments) in enumerate(steps, start=1):
            try:
                outcome = client.tool(tool, arguments(state))
            except (NoResponse, FlowError, OSError) as error:
                self.failed(f"{tool} ({client.era})", "a successful tool result", error)
                client.close()
                client.session = None
                return number
            self.totals.tool_calls.add()
            if not outcome.ok:
                self.failed(f"{tool} ({client.era})", "a successful tool result", outcome.describe())
                return number
            self.report.ok()
            if tool == "create_todo":
                state["id"] = outcome.value["id"]
        return len(steps)

    # MARK: Sampling

    def sample(self, started):
        return {"t": time.monotonic() - started, "rss": self.server.rss_kb(), "fds": self.server.fd_count(), "requests": requests_sent.value}

    def run(self, seconds, interval):
        for _ in range(4):
            self.pool.add(sign_in(self.port, f"soak{next(self.emails)}@example.com", self.addresses.next()))
        workers = [threading.Thread(target=self.paced, args=(LOGINS_PER_SECOND, self.log_in_once), name="logins", daemon=True)]
        workers.append(threading.Thread(target=self.refresher, name="refreshes", daemon=True))
        workers += [threading.Thread(target=self.tool_caller, args=(era,), name=f"tools-{era}", daemon=True) for era in (MODERN, MODERN, LEGACY, LEGACY)]
        started = time.monotonic()
        samples = [self.sample(started)]
        print_sample(samples[-1])
        for worker in workers:
            worker.start()
        try:
            while time.monotonic() - started < seconds:
                time.sleep(min(interval, max(0.0, seconds - (time.monotonic() - started))))
                if not self.server.alive():
                    self.failed("server", "the process alive", f"exited with {self.server.process.returncode}; log:\n{self.server.log_tail()}")
                    break
                samples.append(self.sample(started))
                print_sample(samples[-1])
        finally:
            self.stop.set()
            for worker in workers:
                worker.join(timeout=30)
        stuck = [worker.name for worker in workers if worker.is_alive()]
        self.report.check("workers stop", not stuck, "every worker to finish within 30 s", stuck)
        return samples


def print_sample(sample):
    print(f"  t={sample['t']:6.1f} s  RSS {fmt_mb(sample['rss']):>9}  fds {sample['fds']:4d}  requests {sample['requests']}", flush=True)


def check_flat(samples, seconds, report):
    """After the warm-up third, the last sample must stay near the first post-warm-up one."""
    after_warm_up = [sample for sample in samples if sample["t"] >= seconds / 3]
    if len(after_warm_up) < 2:
        report.fail("memory and descriptors flat", "at least two samples after the warm-up", f"{len(after_warm_up)} samples")
        return
    base, last = after_warm_up[0], after_warm_up[-1]
    rss_limit = base["rss"] + max(base["rss"] * RSS_SLACK_SHARE, RSS_SLACK_KB)
    fd_limit = base["fds"] + FD_SLACK
    peak = max(sample["rss"] for sample in after_warm_up)
    print(
        f"after warm-up (t={base['t']:.0f} s): RSS {fmt_mb(base['rss'])} -> {fmt_mb(last['rss'])} (peak {fmt_mb(peak)}, limit {fmt_mb(rss_limit)}); "
        f"fds {base['fds']} -> {last['fds']} (limit {fd_limit})"
    )
    report.check("RSS flat after warm-up", last["rss"] <= rss_limit, f"RSS at most {fmt_mb(rss_limit)} (max(+20 %, +24 MB) of {fmt_mb(base['rss'])})", fmt_mb(last["rss"]))
    report.check("file descriptors flat after warm-up", last["fds"] <= fd_limit, f"at most {fd_limit} open descriptors (+{FD_SLACK} of {base['fds']})", last["fds"])


def check_health(server, report):
    try:
        answer = Connection(server.port, timeout=5).request("GET", "/health", close=True)
        report.check("/health after the soak", answer.status == 200, "HTTP 200", answer.summary())
    except NoResponse as error:
        report.fail("/health after the soak", "HTTP 200", f"no response ({error})")


def main():
    arguments = parse_arguments(
        __doc__.split("\n\n")[0],
        lambda parser: parser.add_argument("--seconds", type=float, help="how long to soak (default 180, 45 with --quick)"),
    )
    stop_cleanly_on_signals()
    seconds = arguments.seconds or (45 if arguments.quick else 180)
    interval = 3 if seconds <= 60 else 5
    report = Report("soak")
    report.max_printed = 25
    folder = temporary_folder("harden-soak-", keep=arguments.keep)
    server = Server(arguments.binary, folder, settings={"TRUSTED_PROXIES": "127.0.0.1"}, name="soak")

    def body():
        server.start()
        soak = Soak(server, report)
        print(f"soak: {seconds:.0f} s against {arguments.binary}, samples every {interval} s", flush=True)
        samples = soak.run(seconds, interval)
        check_flat(samples, seconds, report)
        check_health(server, report)
        totals = soak.totals
        print(
            f"totals: {requests_sent.value} requests, {totals.logins.value} logins, {totals.refreshes.value} refreshes, "
            f"{totals.tool_calls.value} tool calls, {totals.errors.value} errors"
        )

    return run_guarded(
        report,
        body,
        expected="a server that starts and signs users in",
        servers=(server,),
        folder=folder,
        keep=arguments.keep,
    )

if __name__ == "__main__":
    sys.exit(main())
