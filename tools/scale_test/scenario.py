"""The scenario, run by the operator from the root namespace, each figure printed and checked.

0. What a host sees, from web1: its own name and loopback, the others by name, no route
   out, no other host's files, the project's tree read-only. Then a probe: 22
   registrations from one client address through ``edge`` meet the rate limit (20 a
   minute) after 20: the limit counts per client address, across both replicas.
1. The opening rush: 1,000 registrations at the same moment, from 1,000 client addresses,
   through ``edge`` onto both replicas, for one 20-place group: 20 confirmed, 980
   waitlisted at positions 1..980, no error.
2. A second burst of 500 registrations on the other groups, paced, while ``web1`` is
   killed (SIGKILL) and started again, ``work1`` is killed while the SMTP sink holds one of
   its messages mid-DATA and started again, and Redis is restarted. Every 2xx is stored;
   every refusal is a 502/503; every stored registration (all steps) gets exactly one
   answer at the sink (confirmation or waiting-list notice, with its Message-ID).
3. The calendar feed of one group carries the same ETag from both replicas, and a change
   made through ``web1`` is served by ``web2`` within CALENDAR_RECHECK_S.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from shared.models import (
    DeliveryStatus,
    EmailKind,
    EmailMessage,
    Event,
    Group,
    OutboxMessage,
    Registration,
    RegistrationStatus,
    Role,
)
from tests.support.load import percentile
from tools.scale_test.hosts import PROJECT_ROOT, HostError, eventually
from tools.scale_test.network import ADDRESSES, client_address
from tools.scale_test.stack import SERVICES, Stack

# The emails of registrations made while Redis was down must all have arrived this long after
# it is back: the web side offers what the broker refused again every few seconds.
EMAIL_RECOVERY_LIMIT_S = 15.0
# Every email, that of the message work1 was sending when killed included, must have arrived
# this long after Redis is back: that one waits NOTIFICATIONS_STALE_SENDING_S and a sweep.
EVERY_EMAIL_LIMIT_S = 150.0
# On top of CALENDAR_RECHECK_S: the poll interval and one request's time.
CALENDAR_SLACK_S = 0.3
CALENDAR_POLL_S = 0.05

EVENT = "pratiquer-action-evaluation-experimentalistes"  # the demo workshop: 4 × 20 places
RUSH_GROUP = "hainaut"
BURST_GROUPS = ("namur-luxembourg", "brabant-wallon-bruxelles", "liege")
CAPACITY = 20
RUSH_ATTEMPTS = 1000
BURST_ATTEMPTS = 500
BURST_RATE = 8.0  # registrations started per second: the burst lasts about a minute
PROBE_ATTEMPTS = 22
PROBE_ADDRESS = client_address(60000)
REFUSALS = {502, 503}
WEB1_DOWN_S = 6.0
WORK1_DOWN_S = 5.0
REDIS_DOWN_S = 6.0
ANSWERS = (EmailKind.CONFIRMED.value, EmailKind.WAITLISTED.value)
ROLES = [role.value for role in Role]
LANGUAGES = ("fr", "en", "uk")
REGISTRATIONS_PATH = f"/api/v1/events/{EVENT}/registrations"


@dataclass
class Report:
    """The figures of the run and what failed."""

    figures: list[tuple[str, str]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def figure(self, name: str, value: object, *, key: str | None = None) -> None:
        """Print one figure; with ``key``, also keep it for the closing table under that name."""
        if key is not None:
            self.figures.append((key, str(value)))
        print(f"  {name}: {value}", flush=True)

    def check(self, holds: bool, requirement: str, evidence: object = "") -> bool:
        """Record a requirement; print it, with its evidence when it fails."""
        mark = "ok  " if holds else "FAIL"
        detail = f" — {evidence}" if evidence != "" and not holds else ""
        print(f"  [{mark}] {requirement}{detail}", flush=True)
        if not holds:
            self.failures.append(f"{requirement}{detail}")
        return holds

    def table(self) -> str:
        """The key figures as an aligned table."""
        width = max((len(name) for name, _ in self.figures), default=10)
        lines = [f"{'figure':<{width}}  value", f"{'-' * width}  {'-' * 30}"]
        lines += [f"{name:<{width}}  {value}" for name, value in self.figures]
        return "\n".join(lines)


def seconds(value: float) -> str:
    """A duration for the table."""
    return f"{value:.2f} s"


def counts(counter: Counter[Any]) -> str:
    """A counter as "k × n" pairs, largest first."""
    return ", ".join(f"{key} × {n}" for key, n in counter.most_common()) or "none"


def attempt(src: str, prefix: str, n: int, group: str) -> dict[str, Any]:
    """One registration attempt of the load plan, tagged with its email address."""
    body = registration_body(prefix, n, group)
    return {
        "src": src,
        "path": REGISTRATIONS_PATH,
        "body": body,
        "language": body["language"],
        "tag": body["email"],
    }


def registration_body(prefix: str, n: int, group: str) -> dict[str, Any]:
    """One participant's registration."""
    return {
        "group": group,
        "first_name": "Scale",
        "last_name": f"{prefix.title()} {n}",
        "email": f"{prefix}-{n}@example.org",
        "role": ROLES[n % len(ROLES)],
        "language": LANGUAGES[n % len(LANGUAGES)],
        "consent": True,
        "commit_all_dates": True,
    }


class LoadRun:
    """The load generator on the ``clients`` host, its answers collected as they come."""

    def __init__(self, stack: Stack, plan: dict[str, Any]) -> None:
        clients = stack.hosts["clients"]
        self.answers: list[dict[str, Any]] = []
        self.done = threading.Event()
        self._changed = threading.Condition()
        self._errors = (clients.logs / "load.log").open("ab")
        self.process = clients.popen(
            [sys.executable, "-m", "tools.scale_test.load"],
            stack.process_environment(clients),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._errors,
        )
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(plan).encode())
        self.process.stdin.close()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for raw in self.process.stdout:
            line = json.loads(raw)
            with self._changed:
                if line.get("done"):
                    self.done.set()
                else:
                    self.answers.append(line)
                self._changed.notify_all()
        self.done.set()
        with self._changed:
            self._changed.notify_all()

    def count(self) -> int:
        """Answers received so far."""
        with self._changed:
            return len(self.answers)

    def wait_for(self, count: int, timeout: float) -> None:
        """Until ``count`` answers came (or the load ended)."""
        with self._changed:
            self._changed.wait_for(
                lambda: len(self.answers) >= count or self.done.is_set(), timeout
            )

    def finish(self, timeout: float) -> list[dict[str, Any]]:
        """Every answer, once the load is over."""
        if not self.done.wait(timeout):
            self.process.kill()
            raise HostError(f"the load did not finish within {timeout:.0f}s")
        self.process.wait(timeout=30)
        self._reader.join(timeout=10)
        self._errors.close()
        return list(self.answers)


def run_load(stack: Stack, plan: dict[str, Any], timeout: float) -> list[dict[str, Any]]:
    """Run a plan to its end."""
    return LoadRun(stack, plan).finish(timeout)


def plan(requests: list[dict[str, Any]], **options: Any) -> dict[str, Any]:
    """A load plan against the registration frontend of ``edge``."""
    return {
        "host": ADDRESSES["edge"],
        "host_header": "edge",
        "port": SERVICES["registration"],
        "timeout": 120,
        "requests": requests,
        **options,
    }


class Scenario:
    """The three steps against a running stack."""

    def __init__(self, stack: Stack, report: Report) -> None:
        self.stack = stack
        self.report = report
        self.fresh_remaining: str | None = None
        self.moments: dict[str, float] = {}

    # --- database and sink ------------------------------------------------------------------

    def group_ids(self) -> dict[str, int]:
        """The workshop's groups by slug."""
        with Session(self.stack.engine) as session:
            rows = session.execute(
                select(Group.slug, Group.id).join(Event).where(Event.slug == EVENT)
            ).all()
        return dict(rows)  # type: ignore[arg-type]

    def registrations(self) -> list[Any]:
        """Every registration of the workshop: id, email, group, status, position, created."""
        with Session(self.stack.engine) as session:
            return list(
                session.execute(
                    select(
                        Registration.id,
                        Registration.email,
                        Group.slug.label("group"),
                        Registration.status,
                        Registration.waitlist_position,
                        Registration.created_at,
                    )
                    .join(Group, Group.id == Registration.group_id)
                    .join(Event, Event.id == Registration.event_id)
                    .where(Event.slug == EVENT)
                ).all()
            )

    def answer_messages(self) -> dict[int, tuple[str, str, str]]:
        """Registration id → (recipient, Message-ID, delivery status) of its answer email."""
        with Session(self.stack.engine) as session:
            rows = session.execute(
                select(
                    EmailMessage.registration_id,
                    EmailMessage.recipient,
                    EmailMessage.message_id,
                    EmailMessage.status,
                ).where(EmailMessage.kind.in_(ANSWERS))
            ).all()
        return {row[0]: (row[1], row[2], str(row[3])) for row in rows if row[0] is not None}

    def undelivered(self) -> tuple[int, int]:
        """Delivery-log rows queued or sending, and answers (confirmations, waiting-list
        notices) in the outbox that no delivery-log row stands for yet."""
        with Session(self.stack.engine) as session:
            unfinished = session.scalar(
                select(func.count(EmailMessage.id)).where(
                    EmailMessage.status.in_([DeliveryStatus.QUEUED, DeliveryStatus.SENDING])
                )
            )
            orphans = session.scalar(
                select(func.count(OutboxMessage.id)).where(
                    OutboxMessage.kind.in_(ANSWERS),
                    ~exists().where(EmailMessage.outbox_id == OutboxMessage.id),
                )
            )
        return int(unfinished or 0), int(orphans or 0)

    def delivery_statuses(self) -> Counter[str]:
        """Delivery-log rows by status."""
        with Session(self.stack.engine) as session:
            rows = session.execute(
                select(EmailMessage.status, func.count(EmailMessage.id)).group_by(
                    EmailMessage.status
                )
            ).all()
        return Counter({str(status): n for status, n in rows})

    def accepted_mail(self) -> list[dict[str, Any]]:
        """The messages the sink accepted (not the abandoned ones)."""
        return [r for r in self.stack.mail_records() if not r.get("abandoned")]

    def check_processes(self, after: str) -> None:
        """Every process the scenario did not stop still runs."""
        exits = self.stack.unexpected_exits()
        self.report.check(
            not exits,
            f"every process still runs after {after} (none ended unless the scenario ended it)",
            "\n" + "\n".join(exits),
        )

    def check_waiting_lists(self, groups: Iterable[str], label: str, *, key: bool = False) -> None:
        """Per group: at most CAPACITY confirmed, and the waiting list numbered 1..N."""
        by_group: dict[str, list[Any]] = {}
        for row in self.registrations():
            by_group.setdefault(row.group, []).append(row)
        for group in groups:
            rows = by_group.get(group, [])
            confirmed = sum(r.status == RegistrationStatus.CONFIRMED for r in rows)
            positions = sorted(
                r.waitlist_position for r in rows if r.status == RegistrationStatus.WAITLISTED
            )
            expected = list(range(1, len(positions) + 1))
            self.report.figure(
                f"{label}: group {group}",
                f"{confirmed} confirmed, {len(positions)} waitlisted at {gaps(positions)}",
                key=f"{label}: group {group}" if key else None,
            )
            self.report.check(
                confirmed == min(CAPACITY, len(rows)) and positions == expected,
                f"group {group}: {CAPACITY} places filled first, waiting list 1..N without gaps",
                f"{confirmed} confirmed, positions {gaps(positions)}",
            )

    # --- step 0: what a host can reach, and the limiter counts per client address -----------

    def isolation(self) -> None:
        """From web1: its own name, nothing on its loopback, the broker by name, no route out,
        the other hosts' folders empty, the project's tree and the code snapshot read-only,
        the code imported from the snapshot."""
        print("\nStep 0a — what a host sees (from web1)", flush=True)
        web1 = self.stack.hosts["web1"]
        db_folder = self.stack.hosts["db"].directory
        output = web1.run(
            [
                sys.executable,
                "-c",
                ISOLATION_PROBE,
                str(db_folder),
                str(PROJECT_ROOT),
                str(self.stack.code),
            ],
            self.stack.process_environment(web1),
            timeout=60,
        )
        seen = json.loads(output)
        expected = {
            "hostname": "web1",
            "127.0.0.1:6379 (its own loopback)": "Connection refused",
            "broker:6379": "open",
            "192.0.2.1:80 (outside the network)": "Network is unreachable",
            "db's folder": [],
            "project tree writable": False,
            "code snapshot writable": False,
            "code run from": str(self.stack.code / "services" / "__init__.py"),
        }
        for what, value in seen.items():
            self.report.figure(f"web1 sees {what}", value)
        isolated = self.report.check(
            seen == expected,
            "each host has its own name and loopback, reaches the others by name and nothing "
            "outside, sees no other host's files and cannot write the project's tree",
            {k: v for k, v in seen.items() if expected.get(k) != v},
        )
        self.report.figure(
            "isolation",
            "as expected" if isolated else "NOT as expected",
            key="isolation, seen from web1",
        )

    # --- the limiter counts per client address ----------------------------------------------

    def probe_rate_limit(self) -> None:
        """22 registrations from one address: 20 pass, then 429 (shared by both replicas)."""
        print("\nStep 0b — the rate limit counts per client address, across replicas", flush=True)
        requests = [
            attempt(PROBE_ADDRESS, "probe", n, BURST_GROUPS[-1]) for n in range(PROBE_ATTEMPTS)
        ]
        answers = run_load(self.stack, plan(requests, mode="paced", rate=10), timeout=120)
        answers.sort(key=lambda a: a["t0"])
        statuses = Counter(a["status"] for a in answers)
        replicas = Counter(a.get("replica") for a in answers)
        # What a first request from an address is told it has left (the most of the probe's).
        allowances = [int(a["ratelimit_remaining"]) for a in answers if "ratelimit_remaining" in a]
        self.fresh_remaining = str(max(allowances)) if allowances else None
        self.report.figure(
            "probe: 22 registrations from one address",
            counts(statuses),
            key="rate limit: 22 attempts from one address",
        )
        self.report.figure("probe: answered by", counts(replicas))
        self.report.check(
            statuses == Counter({201: 20, 429: 2}) and len(replicas) == 2,
            "one address: 20 registrations pass, the next are refused with 429, whichever "
            "replica answers",
            counts(statuses),
        )

    # --- step 1: the opening rush -----------------------------------------------------------

    def rush(self) -> None:
        """1,000 simultaneous registrations from 1,000 addresses for one 20-place group."""
        print(
            f"\nStep 1 — the rush: {RUSH_ATTEMPTS} registrations at once from "
            f"{RUSH_ATTEMPTS} addresses on a {CAPACITY}-place group",
            flush=True,
        )
        requests = [attempt(client_address(n), "rush", n, RUSH_GROUP) for n in range(RUSH_ATTEMPTS)]
        answers = run_load(self.stack, plan(requests, mode="together"), timeout=600)
        statuses = Counter(a["status"] for a in answers)
        errors = [a for a in answers if a["status"] != 201]
        ok = [a for a in answers if a["status"] == 201]
        latencies = [a["t1"] - a["t0"] for a in answers]
        duration = max(a["t1"] for a in answers) - min(a["t0"] for a in answers)
        replicas = Counter(a.get("replica") for a in answers)
        sources = {a["src"] for a in answers}
        confirmed = [a for a in ok if a["body"]["status"] == "confirmed"]
        positions = sorted(
            a["body"]["waitlist_position"] for a in ok if a["body"]["status"] == "waitlisted"
        )
        remaining = Counter(a.get("ratelimit_remaining") for a in answers)
        report = self.report
        report.figure("rush: answers", counts(statuses), key="rush: answers (1,000 at once)")
        report.figure(
            "rush: duration (first sent → last answered)", seconds(duration), key="rush: duration"
        )
        report.figure(
            "rush: latency p50 / p99 / max",
            _latency(latencies),
            key="rush: latency p50 / p99 / max",
        )
        report.figure("rush: answered by", counts(replicas), key="rush: answered by")
        report.figure("rush: distinct client addresses", len(sources))
        report.figure("rush: X-RateLimit-Remaining seen", counts(remaining))
        report.figure(
            "rush: confirmed / waitlisted (answers)", f"{len(confirmed)} / {len(positions)}"
        )
        report.check(
            statuses == Counter({201: RUSH_ATTEMPTS}),
            f"all {RUSH_ATTEMPTS} attempts registered (201), 0 server errors",
            f"{counts(statuses)}; e.g. {errors[:2]}",
        )
        report.check(
            len(sources) == RUSH_ATTEMPTS and set(remaining) == {self.fresh_remaining},
            "each attempt came from its own address, and each address was counted apart "
            "(every answer shows a first request's remaining allowance)",
            f"{len(sources)} addresses; remaining {counts(remaining)}, "
            f"a first request shows {self.fresh_remaining}",
        )
        report.check(
            all(replicas.get(web, 0) >= RUSH_ATTEMPTS // 10 for web in ("web1", "web2")),
            "the rush was spread over both replicas",
            counts(replicas),
        )
        report.check(
            len(confirmed) == CAPACITY
            and positions == list(range(1, RUSH_ATTEMPTS - CAPACITY + 1)),
            f"answers: {CAPACITY} confirmed, {RUSH_ATTEMPTS - CAPACITY} waitlisted at 1.."
            f"{RUSH_ATTEMPTS - CAPACITY}",
            f"{len(confirmed)} confirmed, positions {gaps(positions)}",
        )
        self.check_waiting_lists([RUSH_GROUP], "rush, database", key=True)
        self.check_processes("the rush")

    # --- step 2: the burst with faults ------------------------------------------------------

    def burst_with_faults(self) -> None:
        """500 paced registrations on the other groups while hosts fail and come back."""
        print(
            f"\nStep 2 — a burst of {BURST_ATTEMPTS} registrations ({BURST_RATE:.0f}/s) on "
            f"{', '.join(BURST_GROUPS)}, while web1, work1 and Redis fail",
            flush=True,
        )
        requests = [
            attempt(
                client_address(RUSH_ATTEMPTS + n),
                "burst",
                n,
                BURST_GROUPS[n % len(BURST_GROUPS)],
            )
            for n in range(BURST_ATTEMPTS)
        ]
        moments = self.moments
        moments["burst_start"] = time.time()
        load = LoadRun(self.stack, plan(requests, mode="paced", rate=BURST_RATE))
        try:
            load.wait_for(50, timeout=60)
            self.kill_web1()
            self.kill_work1_mid_send()
            load.wait_for(load.count() + 16, timeout=30)
            self.restart_redis()
            answers = load.finish(timeout=600)
        finally:
            if load.process.poll() is None:
                load.process.kill()
        moments["burst_end"] = max(a["t1"] for a in answers)
        self.check_processes("the burst and its faults")
        self.check_burst_answers(answers)
        self.check_every_email(answers)
        self.check_waiting_lists(BURST_GROUPS, "after the burst, database")

    def kill_web1(self) -> None:
        """SIGKILL every process of web1; start its services again after a while."""
        stack, moments, report = self.stack, self.moments, self.report
        print("  … web1: SIGKILL to every process", flush=True)
        moments["web1_killed"] = time.time()
        stack.hosts["web1"].kill()
        moments["web1_seen_down"] = stack.wait_edge("web1", "DOWN", timeout=30)
        time.sleep(max(0.0, moments["web1_killed"] + WEB1_DOWN_S - time.time()))
        print("  … web1: starting its services again", flush=True)
        moments["web1_restarted"] = time.time()
        processes = stack.start_web("web1")
        stack.wait_web("web1", processes)
        moments["web1_up"] = stack.wait_edge("web1", "UP", timeout=60)
        report.figure(
            "web1 killed: edge saw it down after",
            seconds(moments["web1_seen_down"] - moments["web1_killed"]),
        )
        report.figure(
            "web1 killed: back in service (edge UP) after",
            seconds(moments["web1_up"] - moments["web1_killed"]),
            key="web1 SIGKILLed: back in service (edge UP) after",
        )

    def kill_work1_mid_send(self) -> None:
        """Hold work1's next message mid-DATA at the sink, SIGKILL work1, release, restart."""
        stack, moments, report = self.stack, self.moments, self.report
        work1 = ADDRESSES["work1"]
        stack.mail_control("hold", work1)
        try:
            held = eventually(
                lambda: stack.mail_control("state")["in_flight"].get(work1),
                timeout=60,
                what="a message of work1 held mid-send",
            )
            abandoned_before = stack.mail_control("state")["abandoned"]
            print(f"  … work1: SIGKILL while {held} message(s) of it are mid-send", flush=True)
            moments["work1_killed"] = time.time()
            stack.hosts["work1"].kill()
            eventually(
                lambda: stack.mail_control("state")["abandoned"] > abandoned_before,
                timeout=15,
                what="the sink sees work1's message abandoned",
            )
        finally:
            stack.mail_control("release", work1)
        time.sleep(max(0.0, moments["work1_killed"] + WORK1_DOWN_S - time.time()))
        print("  … work1: starting its worker again", flush=True)
        stack.wait_celery(stack.start_worker("work1"))
        moments["work1_back"] = time.time()
        report.figure(
            "work1 killed mid-send: worker consuming again after",
            seconds(moments["work1_back"] - moments["work1_killed"]),
            key="work1 SIGKILLed mid-send: consuming again after",
        )

    def restart_redis(self) -> None:
        """Stop Redis (as a restart does), wait, start it again on the same data."""
        stack, moments, report = self.stack, self.moments, self.report
        print("  … broker: stopping Redis", flush=True)
        moments["redis_stopping"] = time.time()
        stack.stop_redis()
        moments["redis_stopped"] = time.time()
        time.sleep(REDIS_DOWN_S)
        print("  … broker: starting Redis again", flush=True)
        stack.start_redis()
        moments["redis_back"] = time.time()
        report.figure(
            "Redis restart: down for",
            seconds(moments["redis_back"] - moments["redis_stopping"]),
            key="Redis restart: down for",
        )

    def window_of(self, moment: float) -> str:
        """Which fault a moment falls in (with a second of margin after it)."""
        m = self.moments
        windows = {
            "web1 down": ("web1_killed", "web1_up"),
            "work1 down": ("work1_killed", "work1_back"),
            "Redis down": ("redis_stopping", "redis_back"),
        }
        for name, (start, end) in windows.items():
            if start in m and end in m and m[start] - 1 <= moment <= m[end] + 1:
                return name
        return "no fault"

    def check_burst_answers(self, answers: list[dict[str, Any]]) -> None:
        """Statuses, where the refusals fell, and every success stored."""
        report, moments = self.report, self.moments
        statuses = Counter(a["status"] for a in answers)
        refusals = Counter(
            (a["status"], self.window_of(a["t1"]))
            for a in answers
            if a["status"] != 201 and a["status"] is not None
        )
        failures = [a for a in answers if a["status"] is None]
        refused = [a for a in answers if a["status"] != 201]
        replicas = Counter(a.get("replica") for a in answers if a["status"] == 201)
        after_web1 = Counter(
            a.get("replica")
            for a in answers
            if a["status"] == 201 and a["t0"] > moments.get("web1_up", float("inf"))
        )
        during_redis = [
            a
            for a in answers
            if moments["redis_stopped"] <= a["t0"] and a["t1"] <= moments["redis_back"]
        ]
        report.figure("burst: duration", seconds(moments["burst_end"] - moments["burst_start"]))
        report.figure("burst: answers", counts(statuses), key="burst: answers (500, paced)")
        report.figure(
            "burst: refusals by fault",
            ", ".join(f"{s} during {w} × {n}" for (s, w), n in refusals.most_common()) or "none",
            key="burst: refusals",
        )
        report.figure("burst: registered by", counts(replicas))
        report.figure("burst: registered after web1 came back, by", counts(after_web1))
        report.figure(
            "burst: registrations answered while Redis was down",
            counts(Counter(a["status"] for a in during_redis)),
            key="burst: answered while Redis was down",
        )
        report.check(
            not failures and set(statuses) <= {201, *REFUSALS},
            "every answer is a 201, or a 502/503 refusal (no 500, no 429, no lost connection)",
            f"{counts(statuses)}; e.g. {(failures or refused)[:2]}",
        )
        report.check(
            all(w != "no fault" for (_s, w) in refusals),
            "refusals happen only while a host is down",
            dict(refusals),
        )
        report.check(
            after_web1.get("web1", 0) > 0,
            "web1 serves again once back",
            counts(after_web1),
        )
        report.check(
            sum(1 for a in during_redis if a["status"] == 201) > 0,
            "registrations go on while Redis is down",
            counts(Counter(a["status"] for a in during_redis)),
        )
        stored = {row.email: row for row in self.registrations()}
        successes = [a for a in answers if a["status"] == 201]
        lost = [
            a["body"]["email"]
            for a in successes
            if a["body"]["email"] not in stored or stored[a["body"]["email"]].id != a["body"]["id"]
        ]
        refused_but_stored = [
            a
            for a in answers
            if a["status"] in REFUSALS
            and registration_email(a) in stored
            and self.window_of(a["t1"]) == "web1 down"
        ]
        report.figure(
            "burst: 2xx answers stored", f"{len(successes) - len(lost)} of {len(successes)}"
        )
        report.figure(
            "burst: refused with 502 yet stored (killed after commit)", len(refused_but_stored)
        )
        report.check(not lost, "every request answered 2xx is stored", lost[:5])

    def check_every_email(self, answers: list[dict[str, Any]]) -> None:
        """Wait for the emails; every stored registration gets exactly one answer at the sink."""
        report, moments = self.report, self.moments
        deadline = moments["redis_back"] + EVERY_EMAIL_LIMIT_S
        print(
            f"  … waiting for every email (until {EVERY_EMAIL_LIMIT_S:.0f}s after Redis "
            "came back at the latest)",
            flush=True,
        )

        def settled() -> bool:
            emails = {row.email for row in self.registrations()}
            received = {rcpt for r in self.accepted_mail() for rcpt in r["rcpt"]}
            return emails <= received and self.undelivered() == (0, 0)

        while not settled() and time.time() < deadline:
            time.sleep(1)
        moments["emails_settled"] = time.time()
        rows = self.registrations()
        messages = self.answer_messages()
        records = self.accepted_mail()
        arrivals: dict[tuple[str, str], list[float]] = {}
        for record in records:
            for rcpt in record["rcpt"]:
                arrivals.setdefault((rcpt, record["message_id"]), []).append(record["t"])
        expected = {}
        missing, without_message = [], []
        for row in rows:
            message = messages.get(row.id)
            if message is None:
                without_message.append(row.email)
                continue
            expected[(row.email, message[1])] = row
            if (row.email, message[1]) not in arrivals:
                missing.append(row.email)
        duplicates = {key: len(ts) for key, ts in arrivals.items() if len(ts) > 1}
        participants = {row.email for row in rows}
        strays = [key for key in arrivals if key not in expected and key[0] in participants]
        others = Counter(
            record["subject"][:50] for record in records if not set(record["rcpt"]) & participants
        )
        unfinished, orphans = self.undelivered()
        report.figure(
            "emails: registrations stored (all steps)",
            len(rows),
            key="registrations stored (all steps)",
        )
        report.figure("emails: messages accepted by the sink", len(records))
        report.figure(
            "emails: answers delivered once / missing / duplicated / unexpected",
            f"{len(expected) - len(missing)} / {len(missing) + len(without_message)} / "
            f"{len(duplicates)} / {len(strays)}",
            key="answer emails: once / missing / duplicated / unexpected",
        )
        report.figure("emails: delivery log", counts(self.delivery_statuses()))
        report.figure(
            "emails: per sending host",
            counts(Counter(ADDRESS_NAMES.get(r["peer"], r["peer"]) for r in records)),
        )
        report.figure("emails: other messages (to organisers)", counts(others))
        self.email_recovery(rows, arrivals, messages)
        self.work1_recovery(arrivals)
        report.check(
            not missing and not without_message and unfinished == 0 and orphans == 0,
            "every stored registration got its answer email",
            f"{len(missing)} missing (e.g. {missing[:3]}), {len(without_message)} without a "
            f"delivery-log row (e.g. {without_message[:3]}), {unfinished} queued/sending, "
            f"{orphans} outbox rows not handed over, at "
            f"{moments['emails_settled'] - moments['redis_back']:.0f}s after Redis came back",
        )
        report.check(
            not duplicates and not strays,
            "exactly one answer per registration (no duplicate, no stray message)",
            f"{len(duplicates)} duplicated (e.g. {list(duplicates.items())[:3]}), "
            f"{len(strays)} unexpected (e.g. {strays[:3]})",
        )

    def email_recovery(
        self,
        rows: list[Any],
        arrivals: dict[tuple[str, str], list[float]],
        messages: dict[int, tuple[str, str, str]],
    ) -> None:
        """How long the emails of registrations made while Redis was down took to arrive
        once it was back."""
        report, moments = self.report, self.moments
        first_arrival = {}
        for row in rows:
            message = messages.get(row.id)
            times = arrivals.get((row.email, message[1])) if message else None
            if times:
                first_arrival[row.email] = min(times)
        redis_stopped, redis_back = moments["redis_stopping"], moments["redis_back"]
        during = [r for r in rows if redis_stopped <= r.created_at.timestamp() <= redis_back]
        pending = [r for r in rows if first_arrival.get(r.email, float("inf")) > redis_back]
        arrived = [first_arrival[r.email] for r in during if r.email in first_arrival]
        after_back = [t - redis_back for t in (first_arrival.get(r.email) for r in pending) if t]
        report.figure("Redis restart: registrations stored while it was down", len(during))
        report.figure("Redis restart: emails still to deliver when it came back", len(pending))
        if after_back:
            report.figure(
                "Redis restart: first / last of those emails, after Redis came back",
                f"{min(after_back):.1f} s / {max(after_back):.1f} s",
            )
        if not during:
            report.check(
                False,
                "registrations were made while Redis was down (else there is nothing to measure)",
                "none: the burst ended before Redis stopped; lower BURST_RATE",
            )
            return
        recovery = (max(arrived) - redis_back) if len(arrived) == len(during) else None
        report.figure(
            "Redis restart: EMAIL RECOVERY (last email of a registration made while it was "
            "down, after it came back)",
            f"{recovery:.1f} s (limit {EMAIL_RECOVERY_LIMIT_S:.0f} s)"
            if recovery is not None
            else f"not recovered: {len(during) - len(arrived)} of {len(during)} never arrived",
            key="email recovery after Redis came back (limit)",
        )
        report.check(
            recovery is not None and recovery <= EMAIL_RECOVERY_LIMIT_S,
            f"the emails of registrations made while Redis was down arrive within "
            f"{EMAIL_RECOVERY_LIMIT_S:.0f}s of its return",
            f"{recovery if recovery is not None else 'never'}",
        )

    def work1_recovery(self, arrivals: dict[tuple[str, str], list[float]]) -> None:
        """The messages the sink saw abandoned when work1 died, delivered later."""
        report, moments = self.report, self.moments
        abandoned = [r for r in self.stack.mail_records() if r.get("abandoned")]
        back = []
        for record in abandoned:
            times = [
                t for rcpt in record["rcpt"] for t in arrivals.get((rcpt, record["message_id"]), [])
            ]
            if times:
                back.append(min(times) - moments["work1_killed"])
        report.figure("work1 kill: messages abandoned mid-send", len(abandoned))
        report.figure(
            "work1 kill: those delivered again after",
            ", ".join(f"{b:.1f} s" for b in back) or "never",
            key="work1 kill: message abandoned mid-send, delivered after",
        )
        report.check(
            len(abandoned) >= 1 and len(back) == len(abandoned),
            "the messages work1 was sending when killed are delivered (once) later",
            f"{len(abandoned)} abandoned, {len(back)} delivered",
        )

    # --- step 3: calendar feeds -------------------------------------------------------------

    def calendar(self) -> None:
        """Same ETag from both replicas; a change through web1 seen through web2 in time."""
        stack, report = self.stack, self.report
        recheck = float(stack.setting("CALENDAR_RECHECK_S"))
        print(
            f"\nStep 3 — calendar feeds on both replicas (CALENDAR_RECHECK_S={recheck:g})",
            flush=True,
        )
        group_id = self.group_ids()[RUSH_GROUP]
        port = SERVICES["calendar"]
        web = {name: f"http://{ADDRESSES[name]}:{port}" for name in ("web1", "web2", "edge")}
        feeds = [f"/sessions/{group_id}.ics", f"/feeds/events/{EVENT}.ics"]
        labels = ["/sessions/<group>.ics", "/feeds/events/<event>.ics"]
        http = stack.http
        for feed, label in zip(feeds, labels, strict=True):
            answers = {name: http.get(base + feed, timeout=10) for name, base in web.items()}
            etags = {name: a.headers.get("ETag") for name, a in answers.items()}
            same_body = len({a.content for a in answers.values()}) == 1
            report.figure(
                f"calendar {feed}: ETag from web1 / web2 / edge",
                " / ".join(str(e) for e in etags.values()),
            )
            same = report.check(
                all(a.status_code == 200 for a in answers.values())
                and None not in etags.values()
                and len(set(etags.values())) == 1
                and same_body,
                f"{feed}: both replicas serve the same feed with the same ETag",
                {name: (a.status_code, etags[name]) for name, a in answers.items()},
            )
            report.figure(
                f"calendar {feed}: the same on web1, web2, edge",
                "yes" if same else "no",
                key=f"calendar {label}: same ETag on web1/web2/edge",
            )
        feed = feeds[0]
        before = http.get(web["web2"] + feed, timeout=10).headers.get("ETag")
        change = http.patch(
            f"http://{ADDRESSES['web1']}:{SERVICES['registration']}"
            f"/api/v1/events/{EVENT}/groups/{RUSH_GROUP}",
            json={"name": "Hainaut (scale test)"},
            headers={"Authorization": f"Bearer {stack.organiser_token}"},
            timeout=10,
        )
        changed_at = time.time()
        report.check(
            change.status_code == 200,
            "the organiser renames the group through web1",
            f"{change.status_code} {change.text[:200]}",
        )
        seen_at, after = None, before
        deadline = changed_at + recheck + 10
        while time.time() < deadline:
            asked_at = time.time()
            answer = http.get(
                web["web2"] + feed, headers={"If-None-Match": before or ""}, timeout=10
            )
            if answer.status_code == 200 and answer.headers.get("ETag") != before:
                seen_at, after = asked_at, answer.headers.get("ETag")
                break
            time.sleep(CALENDAR_POLL_S)
        delay = (seen_at - changed_at) if seen_at else None
        web1_now = http.get(web["web1"] + feed, timeout=10).headers.get("ETag")
        report.figure(
            "calendar: change through web1 served by web2 after",
            f"{delay:.2f} s" if delay is not None else "never (10 s)",
            key=f"calendar: change via web1 seen on web2 after (recheck {recheck:g} s)",
        )
        report.check(
            delay is not None and delay <= recheck + CALENDAR_SLACK_S,
            f"web2 serves the change within CALENDAR_RECHECK_S ({recheck:g} s, +"
            f"{CALENDAR_SLACK_S:g} s for the polling)",
            f"{delay}",
        )
        report.check(
            after == web1_now and after != before,
            "after the change, both replicas carry the same new ETag",
            f"web1 {web1_now}, web2 {after}, before {before}",
        )
        self.check_processes("the whole scenario")


ADDRESS_NAMES = {address: name for name, address in ADDRESSES.items()}
ISOLATION_PROBE = """
import json, os, socket, sys

def tcp(host, port):
    try:
        socket.create_connection((host, port), timeout=2).close()
        return "open"
    except OSError as error:
        return error.strerror or str(error)

print(json.dumps({
    "hostname": socket.gethostname(),
    "127.0.0.1:6379 (its own loopback)": tcp("127.0.0.1", 6379),
    "broker:6379": tcp("broker", 6379),
    "192.0.2.1:80 (outside the network)": tcp("192.0.2.1", 80),
    "db's folder": sorted(os.listdir(sys.argv[1])),
    "project tree writable": os.access(sys.argv[2], os.W_OK),
    "code snapshot writable": os.access(sys.argv[3], os.W_OK),
    "code run from": __import__("services").__file__,
}))
"""


def registration_email(answer: dict[str, Any]) -> str | None:
    """The email address an attempt tried to register (its plan's tag)."""
    return answer.get("tag")


def gaps(positions: list[int]) -> str:
    """A waiting list's positions, shortly: "1..980" when whole, else what is wrong."""
    if positions == list(range(1, len(positions) + 1)):
        return f"1..{len(positions)}" if positions else "none"
    missing = sorted(set(range(1, (max(positions) if positions else 0) + 1)) - set(positions))
    repeated = [p for p, n in Counter(positions).items() if n > 1]
    return f"{len(positions)} positions, missing {missing[:10]}, repeated {repeated[:10]}"


def _latency(values: list[float]) -> str:
    return (
        f"{percentile(values, 0.5):.2f} s / {percentile(values, 0.99):.2f} s / "
        f"{max(values, default=float('nan')):.2f} s"
    )


def run(stack: Stack, report: Report, steps: Callable[[Scenario], None] | None = None) -> None:
    """Every step, in order; a step that cannot go on (a host that will not start) stops it."""
    scenario = Scenario(stack, report)
    if steps is not None:
        steps(scenario)
        return
    scenario.isolation()
    scenario.probe_rate_limit()
    scenario.rush()
    scenario.burst_with_faults()
    scenario.calendar()
