"""The process's memories in front of the database and Redis: recent fingerprints expire
after their window, built feeds stay within their memory budget, tags read are kept."""

from __future__ import annotations

from redis import Redis

from services.calendar.cache import BuiltFeed, FeedCache, LocalFeeds
from services.calendar.freshness import RecentReads


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_fingerprint_is_read_again_once_its_window_has_passed():
    clock = Clock()
    reads = RecentReads[int](window_s=1.0, clock=clock)
    versions = iter([1, 2])

    first = reads.get("event:atelier", lambda: next(versions))
    clock.now += 0.5
    within_window = reads.get("event:atelier", lambda: next(versions))
    clock.now += 0.6
    after_window = reads.get("event:atelier", lambda: next(versions))

    assert (first, within_window, after_window) == (1, 1, 2)


def test_zero_window_reads_every_time():
    reads = RecentReads[int](window_s=0, clock=Clock())
    versions = iter([1, 2])

    assert [reads.get("all", lambda: next(versions)) for _ in range(2)] == [1, 2]


def test_local_feeds_forget_the_least_recently_used_beyond_their_budget():
    feeds = LocalFeeds(max_bytes=10)
    feeds.put("a", BuiltFeed.of(b"aaaa"))
    feeds.put("b", BuiltFeed.of(b"bbbb"))
    assert feeds.get("a") is not None  # "a" is now the most recently used

    feeds.put("c", BuiltFeed.of(b"cccc"))

    assert feeds.get("b") is None
    assert feeds.get("a").body == b"aaaa"
    assert feeds.get("c").body == b"cccc"


def test_entity_tag_follows_the_bytes():
    assert BuiltFeed.of(b"x").etag == BuiltFeed.of(b"x").etag
    assert BuiltFeed.of(b"x").etag != BuiltFeed.of(b"y").etag


def test_a_feeds_tag_read_from_redis_is_remembered(redis_server):
    with Redis.from_url(redis_server.url) as client:
        client.flushdb()
        built = BuiltFeed.of(b"BEGIN:VCALENDAR")
        FeedCache(client).store("calendar:feed:v1:event:fr:1", built)  # another process
        cache = FeedCache(client)

        first = cache.etag("calendar:feed:v1:event:fr:1")
        client.flushdb()
        again = cache.etag("calendar:feed:v1:event:fr:1")

        assert first == again == built.etag
        assert cache.etag("calendar:feed:v1:event:fr:2") is None
