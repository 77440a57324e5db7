"""One SMTP connection per worker process, kept open for the sends that follow each other.

Opening a connection costs a TCP handshake, the greeting and EHLO (and STARTTLS and a login
where configured): more than handing over one message on an open connection. A connection is
reused only while it is known to be sound. After any error during a send it is closed, never
used again, and the error reaches the caller: a send counts as done only when the server
accepted the message on that very conversation. A connection that the server closed or spoke
on while it was idle (a restart, an idle timeout, a 421) is noticed before use without a round
trip, and replaced.
"""

from __future__ import annotations

import os
import time

from flask import Flask
from flask_mail import Connection, Mail, Message

from shared.sockets import is_quiet

# Servers and middleboxes may drop a quiet connection without a word; after this long idle
# a new one is opened rather than trusting the old one.
IDLE_LIMIT_S = 30.0
EXTENSION = "kept_smtp_connection"


class KeptConnection:
    """The SMTP connection of one process and app, kept open between sends; ``opened``
    counts the connections it has opened."""

    def __init__(self) -> None:
        self._connection: Connection | None = None
        self._owner_pid = 0
        self._last_used = 0.0
        self.opened = 0

    def send(self, mail: Mail, message: Message) -> None:
        """Send ``message``, on the kept connection when it is sound, else on a new one."""
        if not self._sound():
            self.close()
            self._open(mail)
        try:
            self._connection.send(message)  # type: ignore[union-attr]
        except BaseException:  # its state is unknown after any failure: never reuse it
            self.close()
            raise
        self._last_used = time.monotonic()

    def close(self) -> None:
        """Forget the connection, closing its socket if this process opened it."""
        connection, self._connection = self._connection, None
        owned = connection is not None and self._owner_pid == os.getpid()
        if owned and connection.host is not None:
            connection.host.close()

    def _open(self, mail: Mail) -> None:
        connection = mail.connect()
        # Flask-Mail opens the SMTP session (or none when sending is suppressed) on entry.
        self._connection = connection.__enter__()
        self._owner_pid = os.getpid()
        self.opened += 1

    def _sound(self) -> bool:
        connection = self._connection
        if connection is None or self._owner_pid != os.getpid():
            return False  # none yet, or inherited from the parent of a forked worker
        if time.monotonic() - self._last_used > IDLE_LIMIT_S:
            return False
        if connection.host is None:
            return True  # sending is suppressed: there is no server to talk to
        sock = connection.host.sock
        return sock is not None and is_quiet(sock.fileno())


def kept_connection(app: Flask) -> KeptConnection:
    """The app's kept SMTP connection in this process."""
    return app.extensions.setdefault(EXTENSION, KeptConnection())
