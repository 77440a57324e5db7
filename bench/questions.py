"""Registrations per second on PostgreSQL at 50 concurrent clients for an event asking ten
questions (every kind, three tied to indicators, one asked after a given answer), beside the
rate of an event asking none, served by the same gunicorn in the same run.

The two events' runs alternate (BENCH_ROUNDS rounds, default 2, of BENCH_SECONDS each,
default 5) so that a busy moment of the machine weighs on both alike; the best run of each is
the figure. Every registration answers all ten questions.
"""

from __future__ import annotations

import json
from collections import defaultdict
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from bench import registration
from bench.registration import CLIENTS, ROUNDS, SECONDS, WARM_UP_SECONDS, register_script
from bench.support import (
    POSTGRES,
    LoadResult,
    against_floor,
    best,
    private_redis,
    requirement,
    served,
    wrk,
)
from shared.domain.registration_questions import replace_questions
from shared.models import Event
from tests.support.databases import throwaway_postgres

# The registration with ten questions takes at most this multiple of the time without.
SLOWER = 1.15
SIDES = ("plain", "asked")


def choices(*keys: str, categories: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """Choices of these keys, labelled in French, in the categories given."""
    return [
        {"key": key, "label": {"fr": key}, "hidden": False}
        | ({"category": categories[index]} if categories else {})
        for index, key in enumerate(keys)
    ]


QUESTIONS: list[dict[str, Any]] = [
    {
        "kind": "one_choice",
        "wording": {"fr": "Genre"},
        "indicator": "gender",
        "choices": choices("f", "h", "x", categories=("woman", "man", "non_binary")),
    },
    {
        "kind": "one_choice",
        "wording": {"fr": "Situation"},
        "required": True,
        "indicator": "labour_market",
        "choices": choices("emploi", "chomage", categories=("employed", "unemployed")),
    },
    {
        "kind": "date",
        "wording": {"fr": "Depuis quand ?"},
        "condition": {"question": 1, "choice": "chomage"},
    },
    {"kind": "text", "wording": {"fr": "Service"}},
    {"kind": "long_text", "wording": {"fr": "Vos attentes"}},
    {"kind": "several_choices", "wording": {"fr": "Langues"}, "choices": choices("ar", "uk", "fr")},
    {"kind": "yes_no", "wording": {"fr": "Un véhicule ?"}},
    {"kind": "date", "wording": {"fr": "Date de naissance"}, "indicator": "age_band"},
    {
        "kind": "number",
        "wording": {"fr": "Années d'expérience"},
        "minimum": Decimal(0),
        "maximum": Decimal(60),
    },
    {"kind": "country", "wording": {"fr": "Pays de naissance"}},
]
ANSWERS = [
    "f",
    "chomage",
    "2026-03-01",
    "Accueil des primo-arrivants",
    "Mieux orienter les personnes que je reçois.",
    ["ar", "fr"],
    True,
    "1988-06-14",
    7,
    "UA",
]


def prepare(database_url: str) -> str:
    """The two events, four large groups each; the ten questions' answers as JSON."""
    answers: dict[str, Any] = {}

    def ask(session: Session, event: Event) -> None:
        if event.slug == "asked":
            asked = replace_questions(session, event, QUESTIONS)
            session.commit()
            answers.update({str(q.id): a for q, a in zip(asked, ANSWERS, strict=True)})

    registration.prepare(database_url, SIDES, ask)
    return json.dumps(answers, ensure_ascii=True)


def measure(base_url: str, answers: str) -> dict[str, LoadResult]:
    """Each event's registrations, best of the alternating rounds."""
    runs: dict[str, list[LoadResult]] = defaultdict(list)
    extra = {"plain": "", "asked": f',"answers":{answers}'}

    def registrations(side: str, run: str, seconds: int) -> LoadResult:
        url = f"{base_url}/api/v1/events/{side}/registrations"
        script = register_script(f"{side}-{run}", extra=extra[side])
        return wrk(url, connections=CLIENTS, seconds=seconds, script=script)

    for side in SIDES:
        registrations(side, "warm-up", WARM_UP_SECONDS)
    for round_number in range(ROUNDS):
        sides = SIDES if round_number % 2 == 0 else tuple(reversed(SIDES))
        for side in sides:
            runs[side].append(registrations(side, str(round_number), SECONDS))
    return {side: best(results) for side, results in runs.items()}


def main() -> None:
    """Measure both events and print the rate with questions against the rate without."""
    with private_redis() as redis, throwaway_postgres(POSTGRES) as database_url:
        answers = prepare(database_url)
        env = {"DATABASE_URL": database_url, "REDIS_URL": redis.url, "SECRET_KEY": "bench"}
        with served("services.registration", env) as url:
            results = measure(url, answers)
    asked, plain = results["asked"], results["plain"]
    against_floor(
        f"registrations answering 10 questions (POST, PostgreSQL, {CLIENTS} clients)",
        asked.requests_per_s,
        plain.requests_per_s,
        "req/s",
        at_least=round(1 / SLOWER, 2),
        versus="without questions",
    )
    requirement("registration errors with questions", asked.errors, f"of {asked.requests:,}")
    requirement("registration errors without", plain.errors, f"of {plain.requests:,}")
