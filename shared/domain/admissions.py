"""Registrations for one group that reach one process together are admitted together.

In an opening rush every registration waits for the group's lock, then holds it for several
round trips while the others wait. Instead, the first of a process's registrations for a
group takes the lock on behalf of all those that arrive while it waits: once it has the
lock, it admits them in the order they came, in its own transaction, and tells each how it
went once that transaction has ended. Across processes the lock still orders the batches.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from shared.models import Registration

# How long a queued registration waits for the batch's leader to take it into its transaction:
# beyond the lock's timeout, something has gone wrong, and the client is told to try again.
WAIT_S = 30.0


class Outcome(Enum):
    """How a queued registration's batch went."""

    ADMITTED = "admitted"  # written and committed by the batch's transaction
    ALONE = "alone"  # not written: the registration is to be admitted on its own


@dataclass(eq=False)
class Arrival:
    """A registration, prepared and checked, waiting for a place in its group's batch."""

    registration: Registration
    # Its answers to the event's questions, written with it (by question id).
    answers: Mapping[int, Any] = field(default_factory=dict)
    outcome: Outcome | None = None
    _ended: threading.Event = field(default_factory=threading.Event)

    def end(self, outcome: Outcome) -> None:
        """Tell the waiting registration how its batch went."""
        self.outcome = outcome
        self._ended.set()

    def ended(self, timeout: float | None) -> bool:
        """Wait until told how the batch went, at most ``timeout`` seconds (None: no limit);
        say whether it was told."""
        return self._ended.wait(timeout)


class Batches:
    """The registrations of this process queued per group behind the one taking its lock."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._forming: dict[Any, list[Arrival]] = {}

    def join(self, key: Any, arrival: Arrival) -> bool:
        """Queue ``arrival`` in the batch forming for ``key`` (a database and a group); True
        when none was forming, and the caller leads the new one."""
        with self._guard:
            forming = self._forming.get(key)
            if forming is None:
                self._forming[key] = [arrival]
                return True
            forming.append(arrival)
            return False

    def wait(self, key: Any, arrival: Arrival) -> Outcome | None:
        """How the batch of ``arrival`` (queued for ``key``) went, or None when its leader did
        not take it within ``WAIT_S``: it then leaves the queue, and nothing writes it.

        Once taken, it shares the leader's transaction, whose end alone tells whether it is
        stored: the wait lasts until then, lest a registration refused here be committed.
        """
        if arrival.ended(WAIT_S):
            return arrival.outcome
        with self._guard:
            forming = self._forming.get(key, [])
            if arrival in forming:
                forming.remove(arrival)
                return None
        arrival.ended(None)
        return arrival.outcome

    def close(self, key: Any) -> list[Arrival]:
        """The leader's batch, in the order of arrival (the leader first); a registration
        arriving from now on starts the next one."""
        with self._guard:
            return self._forming.pop(key)


def end_all(arrivals: list[Arrival], outcome: Outcome) -> None:
    """Tell each of ``arrivals`` how its batch went."""
    for arrival in arrivals:
        arrival.end(outcome)


batches = Batches()
