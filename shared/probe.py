"""Container health probe: ``python -m shared.probe URL`` exits 0 when URL answers 2xx, else 1.

The runtime image has no curl; the interpreter it already has is enough.
"""

from __future__ import annotations

import http.client
import sys
import urllib.request

TIMEOUT_S = 5.0


def is_healthy(url: str, timeout: float = TIMEOUT_S) -> bool:
    """Whether ``url`` answers with a 2xx status within ``timeout`` seconds."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return 200 <= response.status < 300
    except (OSError, http.client.HTTPException):  # URLError and HTTPError are OSErrors
        return False


def main(argv: list[str]) -> int:
    """Probe the URL given as the only argument; the exit status is the verdict."""
    if len(argv) != 1:
        print("usage: python -m shared.probe URL", file=sys.stderr)
        return 2
    healthy = is_healthy(argv[0])
    if not healthy:
        print(f"{argv[0]} is not healthy", file=sys.stderr)
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
