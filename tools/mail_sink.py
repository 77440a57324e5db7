"""A local SMTP server that keeps every message it receives as an .eml file."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


class MaildirSink:
    """aiosmtpd handler: one readable .eml file per message, named by arrival time."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        """Write the message as received and accept it."""
        name = f"{time.strftime('%Y%m%d-%H%M%S')}-{time.monotonic_ns()}.eml"
        (self.folder / name).write_bytes(envelope.original_content or envelope.content)
        return "250 Message accepted for delivery"


def main() -> None:
    """Run the sink in the foreground."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8025)
    parser.add_argument("--folder", type=Path, required=True)
    args = parser.parse_args()
    controller = Controller(MaildirSink(args.folder), hostname=args.host, port=args.port)
    controller.start()
    print(f"Mail sink on {args.host}:{args.port}, writing to {args.folder}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
