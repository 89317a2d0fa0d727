"""Unit tests for the feed registry, scheduling, the private-address guard, the durable
feed state and item ledger, and item keys. No network; SQLite files live under tmp_path."""

from __future__ import annotations

import ipaddress
import threading
import tomllib
import types
from datetime import datetime, timedelta, timezone

import pytest

import worker.feeds.state as state_module
from worker.feeds import schedule
from worker.feeds.errors import FetchError, RegistryError
from worker.feeds.guard import check_url, is_public
from worker.feeds.http import FetchResult, parse_retry_after
from worker.feeds.parse import FeedItem
from worker.feeds.poll import item_keys
from worker.feeds.registry import FeedConfig, Registry
from worker.feeds.state import FeedState, FeedStateStore
from worker.settings import DEFAULT_MAPPINGS_DIR

UTC = timezone.utc
NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
FEED = "https://news.example.com/rss.xml"


# -- registry -------------------------------------------------------------------------


@pytest.fixture
def registry(tmp_path):
    return Registry(tmp_path / "config" / "feeds.toml", default_interval=45)


def test_registry_missing_file_is_empty(registry):
    assert not registry.path.exists()
    assert registry.feeds() == []
    assert registry.get(FEED) is None


def test_registry_add_new_then_replace_by_url(registry):
    assert registry.add(FeedConfig(url=FEED, name="News", interval_minutes=10)) is True
    assert registry.add(FeedConfig(url="https://other.example.org/atom", name="Other")) is True
    assert registry.add(FeedConfig(url=FEED, name="News renamed", interval_minutes=20, full_article=True)) is False
    feeds = registry.feeds()
    assert [f.url for f in feeds].count(FEED) == 1
    assert len(feeds) == 2
    replaced = registry.get(FEED)
    assert (replaced.name, replaced.interval_minutes, replaced.full_article) == ("News renamed", 20, True)
    assert registry.path.read_text(encoding="utf-8").startswith("# Feeds newsworker polls")


def test_registry_remove(registry):
    registry.add(FeedConfig(url=FEED))
    registry.add(FeedConfig(url="https://keep.example.org/feed"))
    assert registry.remove(FEED) is True
    assert registry.remove(FEED) is False
    assert [f.url for f in registry.feeds()] == ["https://keep.example.org/feed"]


def test_registry_move_keeps_settings_under_the_new_url(registry):
    registry.add(FeedConfig(url=FEED, name="News", interval_minutes=15, full_article=True))
    registry.move(FEED, "https://news.example.com/feed/")
    assert registry.get(FEED) is None
    moved = registry.get("https://news.example.com/feed/")
    assert (moved.name, moved.interval_minutes, moved.full_article) == ("News", 15, True)
    assert len(registry.feeds()) == 1


def test_registry_reads_hand_written_toml_with_defaults(registry):
    registry.path.parent.mkdir(parents=True)
    registry.path.write_text(
        """# hand edited
[[feeds]]
url = "https://a.example.com/rss"
name = "A"

[[feeds]]
url = "http://b.example.com/atom.xml"
interval_minutes = 5
full_article = true

[[feeds]]
url = "file:demo/feed.xml"
""",
        encoding="utf-8",
    )
    a, b, c = registry.feeds()
    assert (a.url, a.name, a.interval_minutes, a.full_article) == ("https://a.example.com/rss", "A", 45, False)
    assert (b.name, b.interval_minutes, b.full_article) == (None, 5, True)
    assert c.url == "file:demo/feed.xml" and c.interval_minutes == 45


def test_registry_invalid_toml_names_the_file(registry):
    registry.path.parent.mkdir(parents=True)
    registry.path.write_text('[[feeds]]\nurl = "https://a.example.com/rss\n', encoding="utf-8")
    with pytest.raises(RegistryError) as err:
        registry.feeds()
    assert str(registry.path) in str(err.value)


@pytest.mark.parametrize(
    "body",
    [
        '[[feeds]]\nurl = "ftp://a.example.com/rss"\n',
        '[[feeds]]\nurl = "javascript:alert(1)"\n',
        '[[feeds]]\nurl = "https://a.example.com/rss"\ninterval_minutes = 0\n',
        'feeds = "not a list"\n',
        "feeds = [1, 2]\n",
    ],
)
def test_registry_invalid_entries_raise_registry_error(registry, body):
    registry.path.parent.mkdir(parents=True)
    registry.path.write_text(body, encoding="utf-8")
    with pytest.raises(RegistryError) as err:
        registry.feeds()
    assert str(registry.path) in str(err.value)


def test_feed_config_rejects_other_schemes():
    with pytest.raises(ValueError, match="http, https or file"):
        FeedConfig(url="ftp://example.com/feed")
    with pytest.raises(ValueError):
        FeedConfig(url="example.com/feed")


@pytest.mark.parametrize(
    "name",
    ['He said "hi"', "back\\slash \\n not a newline", "Zoë — 東京 🚀 Ñandú", "tab\there\nnew line", "'single' [[feeds]] # x"],
)
def test_registry_written_file_round_trips_names(registry, name):
    registry.add(FeedConfig(url=FEED, name=name))
    tomllib.loads(registry.path.read_text(encoding="utf-8"))  # valid TOML
    assert registry.feeds()[0].name == name
    assert registry.feeds()[0].url == FEED


def test_registry_write_is_atomic_and_leaves_no_temp_files(registry):
    for n in range(3):
        registry.add(FeedConfig(url=f"https://e{n}.example.com/rss", name=f"E{n}"))
    leftovers = [p.name for p in registry.path.parent.iterdir() if p.name.startswith(".feeds-")]
    assert leftovers == []


def test_registry_name_with_delete_character_round_trips(registry):
    registry.add(FeedConfig(url=FEED, name="bad\x7fname"))
    assert registry.feeds()[0].name == "bad\x7fname"


def test_registry_name_with_lone_surrogate_fails_cleanly(registry):
    registry.add(FeedConfig(url="https://keep.example.org/feed", name="Keep"))
    try:
        registry.add(FeedConfig(url=FEED, name="bad\ud800name"))
    except RegistryError:
        pass
    assert [p.name for p in registry.path.parent.iterdir() if p.name.startswith(".feeds-")] == []
    assert "https://keep.example.org/feed" in [f.url for f in registry.feeds()]


# -- schedule -------------------------------------------------------------------------

INTERVAL = timedelta(minutes=30)
CAP = timedelta(hours=6)


def test_backoff_doubles_and_caps():
    assert schedule.backoff(INTERVAL, 0, CAP) == INTERVAL
    assert schedule.backoff(INTERVAL, 1, CAP) == timedelta(minutes=60)
    assert schedule.backoff(INTERVAL, 2, CAP) == timedelta(minutes=120)
    assert schedule.backoff(INTERVAL, 3, CAP) == timedelta(minutes=240)
    assert schedule.backoff(INTERVAL, 4, CAP) == CAP
    assert schedule.backoff(INTERVAL, 500, CAP) == CAP


def test_after_error_counts_and_backs_off():
    state = FeedState(url=FEED, etag='"e1"', consecutive_errors=2)
    after = schedule.after_error(state, "HTTP 500", NOW, INTERVAL, CAP, status=500)
    assert after.consecutive_errors == 3
    assert after.last_error == "HTTP 500"
    assert after.last_status == 500
    assert after.last_polled == NOW
    assert after.next_poll == NOW + timedelta(minutes=240)
    assert after.etag == '"e1"'  # validators kept
    assert state.consecutive_errors == 2  # the input is not mutated
    again = schedule.after_error(after, "HTTP 500", NOW, INTERVAL, CAP, status=500, retry_after=60)
    assert again.next_poll == NOW + CAP  # retry_after ignored outside 429/503


@pytest.mark.parametrize("status", [429, 503])
def test_throttled_statuses_honour_retry_after_but_never_less_than_interval(status):
    state = FeedState(url=FEED, consecutive_errors=4)
    long = schedule.after_error(state, "slow down", NOW, INTERVAL, CAP, status=status, retry_after=7200)
    assert long.next_poll == NOW + timedelta(seconds=7200)
    assert long.consecutive_errors == 5
    short = schedule.after_error(state, "slow down", NOW, INTERVAL, CAP, status=status, retry_after=5)
    assert short.next_poll == NOW + INTERVAL
    none = schedule.after_error(state, "slow down", NOW, INTERVAL, CAP, status=status, retry_after=None)
    assert none.next_poll == NOW + CAP  # no Retry-After: ordinary backoff


def test_after_fetch_ok_resets_errors_and_keeps_old_validators():
    state = FeedState(
        url=FEED, etag='"old"', last_modified="Mon, 01 Jan 2024 00:00:00 GMT", consecutive_errors=3,
        last_error="HTTP 500", items_seen=10, title="Old title",
    )
    result = FetchResult(url=FEED, final_url=FEED, status=200, content=b"<rss/>")
    after = schedule.after_fetch_ok(state, result, NOW, INTERVAL, new_items=4, problem="bozo", title=None)
    assert after.etag == '"old"'
    assert after.last_modified == "Mon, 01 Jan 2024 00:00:00 GMT"
    assert after.consecutive_errors == 0
    assert after.last_error is None
    assert after.last_problem == "bozo"
    assert after.last_status == 200
    assert after.last_success == after.last_polled == NOW
    assert after.next_poll == NOW + INTERVAL
    assert after.items_seen == 14
    assert after.title == "Old title"
    newer = schedule.after_fetch_ok(
        after, result.model_copy(update={"etag": '"new"'}), NOW, INTERVAL, new_items=0, problem=None, title="New"
    )
    assert newer.etag == '"new"' and newer.title == "New" and newer.last_problem is None


def test_after_not_modified():
    state = FeedState(url=FEED, etag='"e"', consecutive_errors=2, last_error="x")
    result = FetchResult(url=FEED, final_url=FEED, status=304)
    after = schedule.after_not_modified(state, result, NOW, INTERVAL)
    assert (after.last_status, after.consecutive_errors, after.last_error, after.etag) == (304, 0, None, '"e"')
    assert after.next_poll == NOW + INTERVAL


def test_after_gone_retires():
    after = schedule.after_gone(FeedState(url=FEED, next_poll=NOW), NOW)
    assert after.retired is True
    assert after.next_poll is None
    assert after.last_status == 410
    assert "410" in after.last_error


def test_http_error_reason():
    assert "slow down" in schedule.http_error_reason(429)
    assert schedule.http_error_reason(404) == "HTTP 404"


# -- parse_retry_after ----------------------------------------------------------------


def test_parse_retry_after_delta_seconds():
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after(" 30 ") == 30.0
    assert parse_retry_after("0") == 0.0


def test_parse_retry_after_http_date():
    now = datetime(2015, 10, 21, 7, 0, 0, tzinfo=UTC)
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=now) == 1680.0
    assert parse_retry_after("Wed, 21 Oct 2015 06:00:00 GMT", now=now) == 0.0  # past: no wait


@pytest.mark.parametrize("value", [None, "", "soon", "-5", "1.5", "Thu, 99 Foo 2015 07:28:00 GMT"])
def test_parse_retry_after_garbage_is_none(value):
    assert parse_retry_after(value) is None


def test_parse_retry_after_superscript_digit_is_none():
    assert parse_retry_after("\u00b2") is None


# -- guard ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("127.0.0.1", False),
        ("10.0.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),
        ("0.0.0.0", False),
        ("::1", False),
        ("fe80::1", False),
        ("::ffff:127.0.0.1", False),
        ("::ffff:10.0.0.1", False),
        ("8.8.8.8", True),
        ("::ffff:8.8.8.8", True),
        ("2001:4860:4860::8888", True),
    ],
)
def test_is_public(address, public):
    assert is_public(ipaddress.ip_address(address)) is public


def test_check_url_refuses_loopback():
    with pytest.raises(FetchError) as err:
        check_url("http://127.0.0.1/feed.xml")
    assert "non-public" in err.value.reason
    assert err.value.transient is False


@pytest.mark.parametrize("allow", [["127.0.0.1/32"], ["127.0.0.1"], ["127.0.0.0/8"]])
def test_check_url_allow_private_network(allow):
    assert check_url("http://127.0.0.1/", allow) == [ipaddress.ip_address("127.0.0.1")]


def test_check_url_allow_private_does_not_open_other_addresses():
    with pytest.raises(FetchError):
        check_url("http://10.0.0.1/", ["127.0.0.1/32"])


@pytest.mark.parametrize("url", ["http://localhost/", "http://localhost:8080/feed", "http://[::1]/", "http://2130706433/"])
def test_check_url_names_and_forms_resolving_to_loopback_are_refused(url):
    with pytest.raises(FetchError, match="non-public"):
        check_url(url)


def test_check_url_allows_a_named_host():
    assert ipaddress.ip_address("127.0.0.1") in check_url("http://localhost/", ["localhost"])


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://8.8.8.8/feed", "gopher://8.8.8.8/", "http:///nohost"])
def test_check_url_refuses_other_schemes_and_hostless(url):
    with pytest.raises(FetchError):
        check_url(url, ["0.0.0.0/0", "::/0"])


def test_check_url_public_ip_literal():
    assert check_url("https://8.8.8.8/feed") == [ipaddress.ip_address("8.8.8.8")]


# -- feed state store -----------------------------------------------------------------


@pytest.fixture
def store(tmp_path):
    s = FeedStateStore(tmp_path / "var" / "feeds.db", DEFAULT_MAPPINGS_DIR)
    yield s
    s.close()


def test_state_get_unknown_is_default(store):
    assert store.get(FEED) == FeedState(url=FEED)
    assert store.all() == {}


def test_state_put_get_round_trip(store, tmp_path):
    state = FeedState(
        url=FEED, etag='W/"abc"', last_modified="Mon, 01 Jan 2024 00:00:00 GMT", last_status=200,
        last_polled=NOW, last_success=NOW, last_problem="bozo", consecutive_errors=1,
        next_poll=NOW + INTERVAL, items_seen=7, title="Zoë's news",
    )
    store.put(state)
    assert store.get(FEED) == state
    store.put(state.model_copy(update={"items_seen": 8}))
    assert store.get(FEED).items_seen == 8
    reopened = FeedStateStore(tmp_path / "var" / "feeds.db", DEFAULT_MAPPINGS_DIR)
    try:
        assert reopened.get(FEED).items_seen == 8  # durable, visible to another connection
        assert list(reopened.all()) == [FEED]
    finally:
        reopened.close()


def test_state_rename_moves_state(store):
    store.put(FeedState(url=FEED, etag='"e"', items_seen=3))
    store.rename(FEED, "https://news.example.com/new.xml")
    assert store.get(FEED) == FeedState(url=FEED)
    moved = store.get("https://news.example.com/new.xml")
    assert (moved.url, moved.etag, moved.items_seen) == ("https://news.example.com/new.xml", '"e"', 3)
    assert set(store.all()) == {"https://news.example.com/new.xml"}


def test_forget(store):
    store.put(FeedState(url=FEED, items_seen=3))
    store.forget(FEED)
    assert store.all() == {}


def test_reserve_due_once_within_the_hold(store):
    other = "https://other.example.org/feed"
    later = "https://later.example.org/feed"
    store.put(FeedState(url=later, next_poll=NOW + timedelta(minutes=10)))
    hold = {u: NOW + timedelta(minutes=5) for u in (FEED, other, later)}
    assert store.reserve_due([FEED, other, later], NOW, hold) == [FEED, other]
    assert store.get(FEED).next_poll == NOW + timedelta(minutes=5)
    assert store.reserve_due([FEED, other, later], NOW + timedelta(minutes=1), hold) == []
    after_hold = NOW + timedelta(minutes=5)
    hold2 = {u: after_hold + timedelta(minutes=5) for u in hold}
    assert store.reserve_due([FEED, other, later], after_hold, hold2) == [FEED, other]
    assert store.reserve_due([later], NOW + timedelta(minutes=10), hold2) == [later]


def test_retired_feeds_are_never_due(store):
    store.put(schedule.after_gone(FeedState(url=FEED), NOW))
    far = NOW + timedelta(days=3650)
    assert store.reserve_due([FEED], far, {FEED: far}) == []
    assert store.get(FEED).retired is True


# -- item ledger ----------------------------------------------------------------------


@pytest.fixture
def clock(monkeypatch):
    """Fake time.time() as seen by worker.feeds.state."""
    now = [1_700_000_000.0]
    monkeypatch.setattr(state_module, "time", types.SimpleNamespace(time=lambda: now[0]))
    return now


def test_claim_once_per_keys(store):
    assert store.claim(["id:a", "link:a"], FEED, 60) is True
    assert store.claim(["id:a", "link:a"], FEED, 60) is False
    assert store.claim(["link:a"], FEED, 60) is False  # leased to the first claim
    assert store.claim(["id:b"], FEED, 60) is True


def test_claim_refused_when_any_key_is_done(store):
    assert store.claim(["id:a", "link:a", "hash:a"], FEED, 60) is True
    store.complete(["id:a", "link:a", "hash:a"])
    assert store.seen_count() == 3
    assert store.claim(["id:other", "hash:a"], FEED, 60) is False  # same content, new id
    assert store.claim(["id:other", "link:other"], FEED, 60) is True


def test_expired_lease_can_be_claimed_again(store, clock):
    assert store.claim(["k1"], FEED, lease_seconds=30) is True
    clock[0] += 29
    assert store.claim(["k1"], FEED, lease_seconds=30) is False
    clock[0] += 2
    assert store.claim(["k1"], FEED, lease_seconds=30) is True
    assert store.claim(["k1"], FEED, lease_seconds=30) is False  # the new lease holds


def test_expired_lease_with_real_time(store):
    import time

    assert store.claim(["short"], FEED, lease_seconds=0.05) is True
    time.sleep(0.1)
    assert store.claim(["short"], FEED, lease_seconds=60) is True


def test_release_lets_an_item_be_claimed_again(store):
    assert store.claim(["r1", "r2"], FEED, 600) is True
    store.release(["r1", "r2"])
    assert store.claim(["r1", "r2"], FEED, 600) is True


def test_complete_is_permanent(store, clock):
    assert store.claim(["d1"], FEED, 10) is True
    store.complete(["d1"])
    store.release(["d1"])  # release only gives back pending items
    clock[0] += 10**9
    assert store.claim(["d1"], FEED, 10) is False
    assert store.seen_count() == 1


def test_two_workers_cannot_both_claim_an_item(tmp_path):
    path = tmp_path / "feeds.db"
    workers = [FeedStateStore(path, DEFAULT_MAPPINGS_DIR) for _ in range(2)]
    barrier = threading.Barrier(2)
    results: list[bool] = []
    errors: list[BaseException] = []

    def run(s: FeedStateStore, keys: list[str]) -> None:
        try:
            barrier.wait(timeout=10)
            results.append(s.claim(keys, FEED, 600))
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    try:
        for n in range(20):  # many rounds, each on a fresh item
            results.clear()
            keys = [f"id:{FEED}:{n}", f"link:https://news.example.com/{n}"]
            threads = [threading.Thread(target=run, args=(s, keys)) for s in workers]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=30)
            assert errors == []
            assert sorted(results) == [False, True]
        assert workers[0].claim([f"id:{FEED}:0"], FEED, 600) is False
        assert workers[1].claim([f"id:{FEED}:19"], FEED, 600) is False
    finally:
        for s in workers:
            s.close()


# -- item keys ------------------------------------------------------------------------


def test_item_id_key_is_scoped_by_feed():
    item = FeedItem(entry_id="1", title="Same")  # no link: known by its content too
    a = item_keys("https://a.example.com/feed", item)
    b = item_keys("https://b.example.com/feed", item)
    assert "id:https://a.example.com/feed:1" in a
    assert "id:https://b.example.com/feed:1" in b
    assert [k for k in a if k.startswith("id:")] != [k for k in b if k.startswith("id:")]
    assert [k for k in a if k.startswith("hash:")] == [k for k in b if k.startswith("hash:")]


def test_item_link_key_is_canonical_with_its_anchor():
    tracked = FeedItem(link="HTTPS://News.Example.com:443/a?utm_source=rss&utm_medium=feed&id=7#post-2", title="T")
    clean = FeedItem(link="https://news.example.com/a?id=7#post-2", title="T")
    link_keys = [k for k in item_keys(FEED, tracked) if k.startswith("link:")]
    assert link_keys == [f"link:{FEED}:https://news.example.com/a?id=7#post-2"]
    assert link_keys == [k for k in item_keys(FEED, clean) if k.startswith("link:")]
    # Issue 14: the anchor names one post on a page of many; another anchor is another item.
    other_post = FeedItem(link="https://news.example.com/a?id=7#post-3", title="T")
    assert [k for k in item_keys(FEED, other_post) if k.startswith("link:")] != link_keys


def test_an_item_with_an_id_is_known_by_it_not_by_the_page_it_links():
    """Issue 14: two ids linking one page are two items (the link key collapsed them, silently)."""
    first, second = (FeedItem(entry_id=i, link="https://mnml.example/", title="T", summary="s") for i in ("g1", "g2"))
    assert item_keys(FEED, first) == [f"id:{FEED}:g1"] and item_keys(FEED, second) == [f"id:{FEED}:g2"]


def test_item_content_hash_key():
    item = FeedItem(entry_id="x", title="Hello World", content="Body text.")  # an id, no link
    keys = item_keys(FEED, item)
    assert len(keys) == 2
    hashes = [k for k in keys if k.startswith("hash:")]
    assert len(hashes) == 1 and len(hashes[0]) == len("hash:") + 64
    same_words = FeedItem(title="hello,  world!", content="BODY text")
    assert [k for k in item_keys("https://other.example/feed", same_words) if k.startswith("hash:")] == hashes
    different = FeedItem(title="Hello World", content="Other body.")
    assert [k for k in item_keys(FEED, different) if k.startswith("hash:")] != hashes


def test_item_keys_only_what_the_item_has():
    only_title = item_keys(FEED, FeedItem(title="Only a title"))
    assert len(only_title) == 1 and only_title[0].startswith("hash:")
    assert item_keys(FEED, FeedItem()) == []


def test_daily_items_with_their_own_guid_and_link_are_distinct_despite_equal_text(tmp_path):
    """Issue 18 item 11: a daily item sharing yesterday's title and teaser (new guid, link and
    page each day) was kept once."""
    monday = FeedItem(entry_id="brief-mon", link="https://e.example/brief/mon", title="Daily briefing", summary="The day's news.")
    tuesday = FeedItem(entry_id="brief-tue", link="https://e.example/brief/tue", title="Daily briefing", summary="The day's news.")
    assert not any(k.startswith("hash:") for k in item_keys(FEED, monday))
    store = FeedStateStore(tmp_path / "var" / "feeds.db", DEFAULT_MAPPINGS_DIR)
    assert store.claim(item_keys(FEED, monday), FEED, 60) is True
    store.complete(item_keys(FEED, monday))
    assert store.claim(item_keys(FEED, tuesday), FEED, 60) is True
    # without a link of its own, an item repeating another's content under a new guid is that item
    first = FeedItem(entry_id="n1", title="Notice", summary="Office closed.")
    assert store.claim(item_keys(FEED, first), FEED, 60) is True
    store.complete(item_keys(FEED, first))
    assert store.claim(item_keys(FEED, FeedItem(entry_id="n2", title="Notice", summary="Office closed.")), FEED, 60) is False
