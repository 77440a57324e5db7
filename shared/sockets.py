"""Whether a kept connection is still sound, asked of the socket rather than of the server."""

from __future__ import annotations

import select


def is_quiet(fd: int) -> bool:
    """Whether nothing waits to be read on a connection between conversations.

    A server has nothing to say to an idle client: anything readable there is a parting
    message or the end of the stream (a restart, an idle timeout), noticed without a round
    trip.
    """
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    return not poller.poll(0)
