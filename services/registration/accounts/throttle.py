"""Attempts at a password, a second factor or a reset request, counted in Redis per account
and client address (and per client address alone), with delays that grow: past a few free
attempts, each further one must wait 30 seconds, then twice as long each time, up to 15
minutes. An account is never locked: its owner, from another address, signs in as always.

Each attempt is counted, atomically, before the password or code is checked, so two requests
sent together never both get an extra try; a right one gives its attempt back. When Redis
cannot count, the attempt is refused (503) rather than let through unchecked."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from flask import current_app
from flask_limiter.util import get_remote_address
from redis import RedisError

from shared.domain.registrations import normalise_email
from shared.errors import AttemptsUncounted, TooManyAttempts
from shared.redis_store import redis_client
from shared.tokens import digest

FIRST_DELAY_MS = 30_000
LONGEST_DELAY_MS = 15 * 60_000
# A pair that stays quiet this long starts afresh.
MEMORY_MS = 24 * 3600_000

# Counts the attempt, unless it comes before the pair's next allowed moment; from the
# ``free``-th on, sets that moment further away each time. Returns the milliseconds left to
# wait, 0 when the attempt may go ahead. KEYS: the pair. ARGV: now, free, first and longest
# delay, memory (milliseconds).
_ATTEMPT = """
local now = tonumber(ARGV[1])
local state = redis.call('HMGET', KEYS[1], 'count', 'until')
local count = tonumber(state[1]) or 0
local wait_until = tonumber(state[2]) or 0
if now < wait_until then
  return wait_until - now
end
count = count + 1
if count >= tonumber(ARGV[2]) then
  local delay = tonumber(ARGV[3]) * 2 ^ math.min(count - tonumber(ARGV[2]), 20)
  wait_until = now + math.min(delay, tonumber(ARGV[4]))
end
redis.call('HSET', KEYS[1], 'count', count, 'until', wait_until)
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 0
"""
# Gives one attempt back; below ``free`` attempts, no more waiting.
_REFUND = """
local count = tonumber(redis.call('HGET', KEYS[1], 'count'))
if not count then
  return 0
end
count = math.max(count - 1, 0)
redis.call('HSET', KEYS[1], 'count', count)
if count < tonumber(ARGV[1]) then
  redis.call('HSET', KEYS[1], 'until', 0)
end
return 0
"""


@dataclass(frozen=True)
class Throttle:
    """One kind of attempt: its name and the setting that says how many are free."""

    name: str
    free_setting: str

    def key(self, *parts: object) -> str:
        """The Redis key counting these attempts of ``parts``."""
        prefix = current_app.config.get("RATELIMIT_KEY_PREFIX", "atelier")
        return ":".join([prefix, "attempts", self.name, *map(str, parts)])

    @property
    def free(self) -> int:
        """How many attempts go ahead before the first delay."""
        return int(current_app.config[self.free_setting])

    def attempt(self, *parts: object, now_ms: int | None = None) -> str | None:
        """Count an attempt of ``parts``; 429 with Retry-After while it must wait, 503 when
        Redis cannot count. The key to :meth:`refund`, or None when limits are off."""
        if not current_app.config.get("RATE_LIMITS_ENABLED", True):
            return None
        key = self.key(*parts)
        now_ms = int(time.time() * 1000) if now_ms is None else now_ms
        try:
            wait_ms = redis_client().eval(
                _ATTEMPT, 1, key, now_ms, self.free, FIRST_DELAY_MS, LONGEST_DELAY_MS, MEMORY_MS
            )
        except RedisError as error:
            raise AttemptsUncounted(headers={"Retry-After": "30"}) from error
        if wait_ms:
            raise TooManyAttempts(headers={"Retry-After": str(max(1, -(-int(wait_ms) // 1000)))})
        return key

    def refund(self, key: str | None) -> None:
        """Give back the attempt counted under ``key``: it was right."""
        if key is None:
            return
        try:
            redis_client().eval(_REFUND, 1, key, self.free)
        except RedisError as error:
            raise AttemptsUncounted(headers={"Retry-After": "30"}) from error


# Passwords and second factors, per account and client address, then per client address.
AUTH = Throttle("auth", "AUTH_ATTEMPTS_BEFORE_DELAY")
AUTH_ADDRESS = Throttle("auth-address", "AUTH_ATTEMPTS_PER_ADDRESS_BEFORE_DELAY")
# Reset requests, per address typed and client address, then per client address.
RESET = Throttle("reset", "RESET_REQUESTS_BEFORE_DELAY")
RESET_ADDRESS = Throttle("reset-address", "RESET_REQUESTS_PER_ADDRESS_BEFORE_DELAY")


def client_address() -> str:
    """The client's address, as the proxy in front of the service reported it."""
    return get_remote_address()


@dataclass(frozen=True)
class Attempt:
    """An attempt counted on a subject from the client's address."""

    keys: list[tuple[Throttle, str | None]]

    def succeeded(self) -> None:
        """The password or code was right: the attempt is given back."""
        for throttle, key in self.keys:
            throttle.refund(key)


def count_attempt(subject: str, *, reset: bool = False) -> Attempt:
    """Count an attempt on ``subject`` (what is tried: "login:<address typed>",
    "account:<id>") from the client's address, per pair and per address; refused (429, 503)
    before anything is checked."""
    pair, address = (RESET, RESET_ADDRESS) if reset else (AUTH, AUTH_ADDRESS)
    client = client_address()
    # Redis holds no address typed, only its digest.
    counted = [(pair, pair.attempt(digest(subject), client))]
    counted.append((address, address.attempt(client)))
    return Attempt(counted)


def login_subject(email: str) -> str:
    """What a login attempt tries: the account of the address typed, however spelt."""
    return "login:" + normalise_email(email)


@contextmanager
def checked_password(account_id: int) -> Iterator[None]:
    """Count a check of the signed-in account's password (or code): given back when the
    block ends without a refusal."""
    attempt = count_attempt(f"account:{account_id}")
    yield
    attempt.succeeded()
