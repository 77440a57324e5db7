"""make compose-test runs the code blocks of docs/production.md: each one it runs is where
it expects, so that an edit of the page cannot make it run something else."""

from __future__ import annotations

import pytest

from tools.compose_test.operator import doc_block

FIRST_DEPLOYMENT = "First deployment, step by step"


@pytest.mark.parametrize(
    ("section", "nth", "commands"),
    [
        (FIRST_DEPLOYMENT, 1, ["cp .env.example .env", "chmod 600 .env"]),
        (FIRST_DEPLOYMENT, 2, ["docker compose build", "docker compose up -d"]),
        (FIRST_DEPLOYMENT, 3, ["docker compose ps"]),
        (FIRST_DEPLOYMENT, 4, ["docker compose run --rm registration", "create-organiser"]),
        ("Backups", 0, ["docker compose exec -T postgres", "pg_dump"]),
        ("Backups", 1, ["docker compose up -d postgres", "pg_restore", "docker compose up -d"]),
        ("Upgrades", 0, ["pg_dump", "git pull", "docker compose build", "docker compose up -d"]),
    ],
)
def test_the_doc_block_the_compose_test_runs_holds_its_commands(
    section: str, nth: int, commands: list[str]
) -> None:
    block = doc_block(section, nth)
    for command in commands:
        assert command in block


def test_the_build_and_start_block_is_two_lines_run_one_by_one() -> None:
    assert doc_block(FIRST_DEPLOYMENT, 2).splitlines() == [
        "docker compose build",
        "docker compose up -d",
    ]


def test_a_missing_section_is_named() -> None:
    with pytest.raises(LookupError, match="Nowhere"):
        doc_block("Nowhere")
