"""Dockerfile and .dockerignore: one small image for every service, read as text."""

from __future__ import annotations

import fnmatch
import re

from tests.deploy.stack import (
    DOCKERIGNORE,
    ROOT,
    copy_sources,
    dockerfile_stages,
    final_stage,
)

BUILD_TOOLS = re.compile(r"\b(build-essential|gcc|g\+\+|clang|make|[\w.+-]+-dev)\b")
STAGES = dockerfile_stages()
RUNTIME = final_stage(STAGES)


def test_image_is_built_in_a_builder_stage_and_runs_from_slim_python() -> None:
    builders = {stage.name for stage in STAGES[:-1]}
    assert builders, "a builder stage installs the dependencies"
    assert RUNTIME.base.startswith("python:3.11-slim")
    copied_from = {
        word.split("=", 1)[1]
        for rest in RUNTIME.arguments("COPY")
        for word in rest.split()
        if word.startswith("--from=")
    }
    assert copied_from and copied_from <= builders


def test_builder_stage_has_the_compilers() -> None:
    """Where build tools belong, so the check below has something to tell apart."""
    builder_runs = " ".join(run for stage in STAGES[:-1] for run in stage.arguments("RUN"))
    assert BUILD_TOOLS.search(builder_runs)


def test_final_image_installs_no_build_tools() -> None:
    for run in RUNTIME.arguments("RUN"):
        assert not BUILD_TOOLS.search(run), run


def test_final_image_runs_as_an_unprivileged_user_it_creates() -> None:
    user = RUNTIME.arguments("USER")[-1].split(":")[0]
    assert user not in ("root", "0")
    shell_commands = [
        command.split() for run in RUNTIME.arguments("RUN") for command in run.split("&&")
    ]
    assert any(words[0] == "useradd" and words[-1] == user for words in shell_commands)


def test_final_image_writes_no_bytecode_and_runs_in_production() -> None:
    environment = RUNTIME.environment()
    assert environment["PYTHONDONTWRITEBYTECODE"] == "1"
    assert environment["ATELIER_ENV"] == "production"


def test_image_compiles_the_translations() -> None:
    runs = [run for stage in STAGES for run in stage.arguments("RUN")]
    assert any("pybabel compile" in run and "shared/translations" in run for run in runs)


def test_image_runs_a_web_service_by_default() -> None:
    assert RUNTIME.exec_form("CMD")[0] == "gunicorn"


def dockerignore_patterns() -> list[str]:
    """The patterns of .dockerignore, comments and blanks left out."""
    lines = (line.strip() for line in DOCKERIGNORE.read_text().splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def left_out(path: str, patterns: list[str]) -> bool:
    """Whether .dockerignore keeps ``path`` out: the last pattern matching it or a folder
    above it decides, and a ``!`` pattern lets it back in."""
    parts = path.split("/")
    places = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    verdict = False
    for pattern in patterns:
        if any(fnmatch.fnmatch(place, pattern.removeprefix("!")) for place in places):
            verdict = not pattern.startswith("!")
    return verdict


def test_every_file_the_image_copies_exists_and_reaches_the_build() -> None:
    sources = [source for stage in STAGES for source in copy_sources(stage)]
    assert {"pyproject.toml", "gunicorn.conf.py", "shared", "services"} <= set(sources)
    for source in sources:
        assert (ROOT / source).exists(), source
        assert not left_out(source, dockerignore_patterns()), f"{source} is left out of the build"


def test_a_file_let_back_in_below_an_ignored_folder_reaches_the_build() -> None:
    assert left_out("tools/run_stack.py", ["tools"])
    assert not left_out("tools/install_lock.py", ["tools", "!tools/install_lock.py"])


def test_secrets_and_history_stay_out_of_the_build() -> None:
    patterns = dockerignore_patterns()
    assert {".env", ".git", ".venv"} <= set(patterns)
