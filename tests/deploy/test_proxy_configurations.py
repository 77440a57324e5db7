"""The reverse proxy configurations of docs/production.md keep /metrics for operators: every
site that forwards to a service refuses it."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

PRODUCTION_DOC = Path(__file__).resolve().parents[2] / "docs" / "production.md"
FENCED = re.compile(r"^([ \t]*)```(\w+)\n(.*?)^\1```", re.MULTILINE | re.DOTALL)


def configurations(language: str) -> list[str]:
    """The code blocks of docs/production.md written in ``language``, unindented."""
    return [
        textwrap.dedent(body)
        for _indent, written_in, body in FENCED.findall(PRODUCTION_DOC.read_text())
        if written_in == language
    ]


def blocks(configuration: str, opening: str) -> list[str]:
    """The top-level blocks of a brace-delimited configuration whose first line starts with
    ``opening`` (a Caddy site, an nginx server), each with what it nests."""
    found, current, depth = [], [], 0
    for line in configuration.splitlines():
        if depth == 0:
            if not (line.startswith(opening) and line.rstrip().endswith("{")):
                continue  # a comment or a blank line between blocks
            current = []
        current.append(line)
        depth += line.count("{") - line.count("}")
        if depth == 0:
            found.append("\n".join(current))
    return found


def proxying_sites() -> list[tuple[str, str]]:
    sites = []
    for configuration in configurations("caddyfile"):
        sites += [("caddy", site) for site in blocks(configuration, "") if "reverse_proxy" in site]
    for configuration in configurations("nginx"):
        sites += [
            ("nginx", site) for site in blocks(configuration, "server") if "proxy_pass" in site
        ]
    return sites


def test_the_documentation_shows_both_proxies():
    assert {kind for kind, _site in proxying_sites()} == {"caddy", "nginx"}


@pytest.mark.parametrize(("kind", "site"), proxying_sites())
def test_every_proxied_site_refuses_metrics(kind, site):
    lines = [line.strip() for line in site.splitlines()]
    if kind == "caddy":
        assert "respond /metrics 404" in lines, site
    else:
        refusal = re.search(r"location = /metrics \{\s*return 404;\s*\}", site)
        assert refusal, site
