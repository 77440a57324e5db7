"""The participants: HTTP requests from many client addresses, run on the ``clients`` host.

Reads a plan as JSON on standard input and writes one JSON line per answer on standard output
(then ``{"done": true}``), so that the operator follows the load as it goes:

    {"host": "10.77.0.5", "port": 5001, "mode": "together" | "paced", "rate": 10,
     "timeout": 120, "requests": [{"src": "10.78.0.1", "method": "POST", "path": "/…",
     "body": {…}}, …]}

``together`` opens every connection first, each from its own source address, then sends all
the requests at the same moment (an opening rush); ``paced`` starts ``rate`` requests a
second, each on a new connection. Plain HTTP/1.1 over asyncio streams, one request per
connection: a thousand simultaneous requests cost this host little.
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import time
from typing import Any

HEADERS_OF_INTEREST = {
    "x-atelier-replica": "replica",
    "x-ratelimit-remaining": "ratelimit_remaining",
    "retry-after": "retry_after",
    "etag": "etag",
}


def request_bytes(plan: dict[str, Any], item: dict[str, Any]) -> bytes:
    """One HTTP/1.1 request, closing the connection after its answer."""
    body = json.dumps(item["body"]).encode() if "body" in item else b""
    lines = [
        f"{item.get('method', 'POST')} {item['path']} HTTP/1.1",
        f"Host: {plan.get('host_header', plan['host'])}:{plan['port']}",
        "User-Agent: atelier-scale-test",
        "Accept: application/json",
        f"Accept-Language: {item.get('language', 'fr')}",
        "Connection: close",
    ]
    if body:
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def dechunk(data: bytes) -> bytes:
    """The body of a chunked transfer."""
    out, rest = b"", data
    while rest:
        size_line, _, rest = rest.partition(b"\r\n")
        size = int(size_line.split(b";")[0] or b"0", 16)
        if size == 0:
            break
        out, rest = out + rest[:size], rest[size + 2 :]
    return out


def parse_response(raw: bytes) -> dict[str, Any]:
    """Status, the headers we look at and the JSON body (or its first characters)."""
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    if not lines or not lines[0].startswith("HTTP/"):
        raise ValueError(f"not an HTTP answer: {raw[:80]!r}")
    answer: dict[str, Any] = {"status": int(lines[0].split()[1])}
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    for header, key in HEADERS_OF_INTEREST.items():
        if header in headers:
            answer[key] = headers[header]
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = dechunk(body)
    try:
        answer["body"] = json.loads(body) if body else None
    except ValueError:
        answer["body"] = body[:200].decode("utf-8", "replace")
    return answer


class Load:
    """The plan's requests and where their answers go."""

    def __init__(self, plan: dict[str, Any]) -> None:
        self.plan = plan
        self.items: list[dict[str, Any]] = plan["requests"]
        self.timeout = float(plan.get("timeout", 120))
        self.go = asyncio.Event()
        self.connected = 0

    def emit(self, line: dict[str, Any]) -> None:
        """Write one answer line."""
        sys.stdout.write(json.dumps(line) + "\n")
        sys.stdout.flush()

    async def connect(self, item: dict[str, Any]) -> tuple[asyncio.StreamReader, Any]:
        """A connection to the target from the item's own source address."""
        return await asyncio.wait_for(
            asyncio.open_connection(
                self.plan["host"], self.plan["port"], local_addr=(item["src"], 0)
            ),
            timeout=self.timeout,
        )

    async def exchange(self, i: int, together: bool) -> None:
        """Connect (and, together, wait for the others), send, read the whole answer."""
        item = self.items[i]
        line: dict[str, Any] = {"i": i, "src": item["src"], "tag": item.get("tag")}
        writer = None
        try:
            try:
                reader, writer = await self.connect(item)
            finally:
                if together:
                    self.connected += 1
                    if self.connected == len(self.items):
                        self.go.set()
            if together:
                await self.go.wait()
            line["t0"] = time.time()
            writer.write(request_bytes(self.plan, item))
            await writer.drain()
            raw = await asyncio.wait_for(reader.read(), timeout=self.timeout)
            line["t1"] = time.time()
            line.update(parse_response(raw))
        except Exception as error:  # recorded: the operator decides what it means
            line.setdefault("t0", time.time())
            line["t1"] = time.time()
            line["status"] = None
            line["error"] = f"{type(error).__name__}: {error}"
        finally:
            if writer is not None:
                writer.close()
        self.emit(line)

    async def run(self) -> None:
        """Every request of the plan, together or paced."""
        if self.plan.get("mode") == "together":
            await asyncio.gather(*(self.exchange(i, True) for i in range(len(self.items))))
            return
        interval = 1.0 / float(self.plan.get("rate", 10))
        started = time.monotonic()
        tasks = []
        for i in range(len(self.items)):
            delay = started + i * interval - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(self.exchange(i, False)))
        await asyncio.gather(*tasks)


def main() -> None:
    """Read the plan, run it, report every answer."""
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    plan = json.load(sys.stdin)
    load = Load(plan)
    asyncio.run(load.run())
    load.emit({"done": True})


if __name__ == "__main__":
    main()
