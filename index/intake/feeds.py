"""Feeds: RSS 2.0 and Atom (through feedparser) and JSON Feed, polled conditionally, with
what each feed has delivered remembered in ``<data dir>/feeds.db``.

Usage::

    from index.intake.feeds import FeedStore, FeedPoller
    store = FeedStore(data_dir / "feeds.db")
    feed = store.add("https://example.org/rss.xml", name="Example")
    poller = FeedPoller(store, fetcher, add=kb.add_articles, interval_minutes=15)
    for report in poller.poll_due():       # every feed that is due (not backing off)
        print(report.feed.name, report.added_ids, report.error)

A poll fetches the feed with ``If-None-Match`` / ``If-Modified-Since``; a 304 costs
nothing. Each entry not seen before has its page fetched and its article added; the
entry is then remembered with its outcome, in one transaction with the feed's new
validators, so a restart neither loses an entry nor adds one twice (an article whose
entry was added but not yet recorded is found "already indexed" by the store). An entry
whose page failed for a passing reason (a timeout, a 5xx) is tried again on later polls,
up to three times. A feed that fails keeps its state, and is polled again only after a
back-off that doubles with every failure (up to a day); the error is kept for
``feed list`` and ``doctor``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urljoin

from index.intake.article import Article
from index.intake.dates import normalise_published_at
from index.intake.fetch import Fetcher, FetchError, FetchResult, check_url, fetch_article
from index.store import AddReport

FEEDS_FILE = "feeds.db"
MAX_ENTRY_ATTEMPTS = 3
MAX_ENTRIES_PER_POLL = 100
MAX_BACKOFF = timedelta(days=1)
FEED_ACCEPT = ("application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, "
               "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.1")

SCHEMA = """
CREATE TABLE IF NOT EXISTS feeds (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    url TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    added_at TEXT NOT NULL,
    etag TEXT, last_modified TEXT,
    last_polled_at TEXT, last_success_at TEXT, last_error TEXT,
    failures INTEGER NOT NULL DEFAULT 0,
    next_poll_at TEXT
);
CREATE TABLE IF NOT EXISTS feed_entries (
    feed_id INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
    entry_key TEXT NOT NULL,
    link TEXT,
    status TEXT NOT NULL,              -- added | skipped | rejected | failed (tried again)
    article_id TEXT,
    detail TEXT,
    attempts INTEGER NOT NULL DEFAULT 1,
    seen_at TEXT NOT NULL,
    PRIMARY KEY (feed_id, entry_key)
);
"""


class FeedError(ValueError):
    """A feed we cannot follow or poll; the message is the reason, for the user."""


def utc_now() -> datetime:
    return datetime.now(UTC)


# ----------------------------------------------------------------------------- parsing


@dataclass(frozen=True)
class FeedEntry:
    key: str                    # the entry's id (guid), else its link
    link: str | None
    title: str
    published_at: str | None


@dataclass(frozen=True)
class ParsedFeed:
    kind: str                   # rss20, atom10, … (feedparser's names), or json
    title: str
    entries: list[FeedEntry]


def parse_feed(data: bytes, content_type: str = "", base_url: str = "") -> ParsedFeed:
    """RSS, Atom or JSON Feed; FeedError("not a feed …") for anything else."""
    if content_type.endswith("json") or data.lstrip()[:1] == b"{":
        return _parse_json_feed(data, base_url)
    import feedparser

    parsed = feedparser.parse(data, response_headers={"content-type": content_type or "application/xml",
                                                      "content-location": base_url})
    if not parsed.get("version"):
        raise FeedError("not a feed: no RSS, Atom or JSON Feed found in it")
    entries = []
    for item in parsed.entries:
        link = item.get("link") or next((x.get("href") for x in item.get("links", []) if x.get("href")), None)
        link = urljoin(base_url, link) if link else None
        raw_date = item.get("published") or item.get("updated")
        published = normalise_published_at(raw_date)
        if published is None and (item.get("published_parsed") or item.get("updated_parsed")):
            stamp = item.get("published_parsed") or item.get("updated_parsed")
            published = datetime(*stamp[:6], tzinfo=UTC).isoformat()
        entries.append(_entry(item.get("id"), link, item.get("title", ""), published))
    return ParsedFeed(parsed.version, " ".join(parsed.feed.get("title", "").split()), entries)


def _parse_json_feed(data: bytes, base_url: str) -> ParsedFeed:
    """JSON Feed 1.0 / 1.1 (https://jsonfeed.org), which feedparser does not read."""
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise FeedError("not a feed: the JSON does not parse") from exc
    if not (isinstance(document, dict) and str(document.get("version", "")).startswith("https://jsonfeed.org/")
            and isinstance(document.get("items"), list)):
        raise FeedError("not a feed: JSON, but not a JSON Feed (no jsonfeed.org version and items)")
    entries = []
    for item in document["items"]:
        if not isinstance(item, dict):
            continue
        link = item.get("url") or item.get("external_url")
        link = urljoin(base_url, link) if isinstance(link, str) and link else None
        published = normalise_published_at(item.get("date_published") or item.get("date_modified"))
        item_id = item.get("id")
        entries.append(_entry(str(item_id) if item_id not in (None, "") else None, link,
                              str(item.get("title") or ""), published))
    return ParsedFeed("json", " ".join(str(document.get("title") or "").split()), entries)


def _entry(entry_id: str | None, link: str | None, title: str, published: str | None) -> FeedEntry:
    key = (entry_id or "").strip() or link or "title:" + hashlib.sha256(title.encode()).hexdigest()[:16]
    return FeedEntry(key=key[:2000], link=link, title=" ".join(str(title).split()), published_at=published)


# ----------------------------------------------------------------------------- state


@dataclass(frozen=True)
class Feed:
    id: int
    url: str
    name: str
    added_at: str
    etag: str | None = None
    last_modified: str | None = None
    last_polled_at: str | None = None
    last_success_at: str | None = None
    last_error: str | None = None
    failures: int = 0
    next_poll_at: str | None = None
    entries_seen: int = 0
    articles_added: int = 0

    @property
    def status(self) -> str:
        if self.last_error:
            return "failing"
        return "ok" if self.last_success_at else "new"

    def to_dict(self) -> dict:
        data = asdict(self)
        for private in ("etag", "last_modified"):
            data.pop(private)
        return {**data, "status": self.status}


@dataclass(frozen=True)
class EntryOutcome:
    key: str
    link: str | None
    status: str                 # added | skipped | rejected | failed
    article_id: str | None = None
    detail: str | None = None


class FeedStore:
    """The feeds and the entries they delivered, in their own SQLite file. Each call opens
    its own connection, so worker threads and separate processes can share it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._db() as db:
            db.executescript(SCHEMA)

    @contextlib.contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA foreign_keys=ON")
            yield db
        finally:
            db.close()

    _FEED_COLUMNS = ("f.id, f.url, f.name, f.added_at, f.etag, f.last_modified, f.last_polled_at, "
                     "f.last_success_at, f.last_error, f.failures, f.next_poll_at, "
                     "(SELECT count(*) FROM feed_entries e WHERE e.feed_id = f.id), "
                     "(SELECT count(*) FROM feed_entries e WHERE e.feed_id = f.id AND e.status = 'added')")

    def feeds(self) -> list[Feed]:
        with self._db() as db:
            rows = db.execute(f"SELECT {self._FEED_COLUMNS} FROM feeds f ORDER BY f.id").fetchall()
        return [Feed(*row) for row in rows]

    def get(self, feed_id: int) -> Feed | None:
        with self._db() as db:
            row = db.execute(f"SELECT {self._FEED_COLUMNS} FROM feeds f WHERE f.id = ?", (feed_id,)).fetchone()
        return Feed(*row) if row else None

    def find(self, url: str) -> Feed | None:
        with self._db() as db:
            row = db.execute("SELECT id FROM feeds WHERE url = ?", (url,)).fetchone()
        return self.get(row[0]) if row else None

    def add(self, url: str, name: str, now: datetime | None = None) -> Feed:
        existing = self.find(url)
        if existing is not None:
            raise FeedError(f"already following that feed as {existing.id} ({existing.name})")
        with self._db() as db:
            cursor = db.execute("INSERT INTO feeds(url, name, added_at) VALUES (?, ?, ?)",
                                (url, name, (now or utc_now()).isoformat()))
        feed = self.get(int(cursor.lastrowid or 0))
        assert feed is not None
        return feed

    def remove(self, feed_id: int) -> bool:
        with self._db() as db:
            return db.execute("DELETE FROM feeds WHERE id = ?", (feed_id,)).rowcount > 0

    def due(self, now: datetime | None = None) -> list[Feed]:
        moment = (now or utc_now()).isoformat()
        return [f for f in self.feeds() if f.next_poll_at is None or f.next_poll_at <= moment]

    def done_keys(self, feed_id: int) -> set[str]:
        """Entries that need no more work: added, skipped, rejected, or failed too often."""
        with self._db() as db:
            rows = db.execute("SELECT entry_key FROM feed_entries WHERE feed_id = ? AND "
                              "(status != 'failed' OR attempts >= ?)", (feed_id, MAX_ENTRY_ATTEMPTS)).fetchall()
        return {r[0] for r in rows}

    def record_poll(self, feed_id: int, outcomes: Sequence[EntryOutcome], *, etag: str | None,
                    last_modified: str | None, keep_validators: bool, now: datetime | None = None) -> None:
        """A successful fetch of the feed: its entries' outcomes and (unless entries are
        still pending) its new validators, in one transaction."""
        stamp = (now or utc_now()).isoformat()
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                db.executemany(
                    "INSERT INTO feed_entries(feed_id, entry_key, link, status, article_id, detail, seen_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(feed_id, entry_key) DO UPDATE SET "
                    "status = excluded.status, article_id = excluded.article_id, detail = excluded.detail, "
                    "attempts = attempts + 1, seen_at = excluded.seen_at",
                    [(feed_id, o.key, o.link, o.status, o.article_id, o.detail, stamp) for o in outcomes])
                validators = "" if keep_validators else ", etag = ?, last_modified = ?"
                params: list[object] = [stamp, stamp]
                if not keep_validators:
                    params += [etag, last_modified]
                db.execute(f"UPDATE feeds SET last_polled_at = ?, last_success_at = ?, last_error = NULL, "
                           f"failures = 0, next_poll_at = NULL{validators} WHERE id = ?", [*params, feed_id])
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    def record_failure(self, feed_id: int, error: str, interval: timedelta, now: datetime | None = None) -> None:
        """The feed failed: keep its state, remember the error, and wait longer each time."""
        moment = now or utc_now()
        with self._db() as db:
            row = db.execute("SELECT failures FROM feeds WHERE id = ?", (feed_id,)).fetchone()
            failures = (row[0] if row else 0) + 1
            wait = min(interval * (2 ** min(failures, 16)), MAX_BACKOFF)
            db.execute("UPDATE feeds SET last_polled_at = ?, last_error = ?, failures = ?, next_poll_at = ? "
                       "WHERE id = ?", (moment.isoformat(), error[:500], failures, (moment + wait).isoformat(),
                                        feed_id))


def feed_problems(data_dir: Path, min_failures: int = 1) -> list[str]:
    """One line per feed failing ``min_failures`` times in a row or more, for ``newsbot
    doctor``; empty when all is well (or no feed is followed)."""
    path = data_dir / FEEDS_FILE
    if not path.exists():
        return []
    return [f"feed {f.id} ({f.name}): {f.last_error} — {f.failures} failure(s) in a row, "
            f"next try {f.next_poll_at or 'at the next poll'}" for f in FeedStore(path).feeds()
            if f.last_error and f.failures >= min_failures]


# ----------------------------------------------------------------------------- polling


@dataclass
class PollReport:
    feed: Feed
    not_modified: bool = False
    error: str | None = None
    entries: int = 0                          # in the feed document
    outcomes: list[EntryOutcome] = field(default_factory=list)   # for the entries new this poll

    @property
    def added_ids(self) -> list[str]:
        return list(dict.fromkeys(o.article_id for o in self.outcomes if o.status == "added" and o.article_id))

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    def to_dict(self) -> dict:
        return {"feed": self.feed.id, "name": self.feed.name, "url": self.feed.url,
                "not_modified": self.not_modified, "error": self.error, "entries": self.entries,
                "new_entries": len(self.outcomes), "added": self.added_ids,
                "skipped": [{"link": o.link, "reason": o.detail} for o in self.outcomes if o.status == "skipped"],
                "rejected": [{"link": o.link, "reason": o.detail} for o in self.outcomes
                             if o.status in ("rejected", "failed")]}


AddArticles = Callable[[list[Article]], AddReport]


class FeedPoller:
    """Polls feeds and hands their new articles to ``add`` (the knowledge base's adder)."""

    def __init__(self, store: FeedStore, fetcher: Fetcher, add: AddArticles, *, interval_minutes: float) -> None:
        self.store = store
        self.fetcher = fetcher
        self.add = add
        self.interval = timedelta(minutes=interval_minutes)

    def fetch_feed(self, url: str, feed: Feed | None = None) -> tuple[ParsedFeed | None, FetchResult]:
        """(the parsed feed, or None when the server said 304; the fetch result)."""
        result = self.fetcher.fetch(url, accept=FEED_ACCEPT, etag=feed.etag if feed else None,
                                    last_modified=feed.last_modified if feed else None)
        if result.not_modified:
            return None, result
        return parse_feed(result.body, result.content_type, result.final_url), result

    def poll_due(self, now: datetime | None = None) -> list[PollReport]:
        return [self.poll(feed, now=now) for feed in self.store.due(now)]

    def poll(self, feed: Feed, now: datetime | None = None) -> PollReport:
        report = PollReport(feed)
        try:
            parsed, result = self.fetch_feed(feed.url, feed)
        except (FetchError, FeedError) as exc:
            report.error = str(exc)
            self.store.record_failure(feed.id, report.error, self.interval, now)
            report.feed = self.store.get(feed.id) or feed
            return report
        if parsed is None:
            report.not_modified = True
            self.store.record_poll(feed.id, [], etag=feed.etag, last_modified=feed.last_modified,
                                   keep_validators=True, now=now)
            return report
        report.entries = len(parsed.entries)
        done = self.store.done_keys(feed.id)
        fresh = list({e.key: e for e in parsed.entries if e.key not in done}.values())
        report.outcomes = self._take(fresh[:MAX_ENTRIES_PER_POLL])
        # Entries left for later (over the cap, or failing for now) need the whole feed
        # again next time: keep the old validators, so the server cannot answer 304.
        pending = len(fresh) > MAX_ENTRIES_PER_POLL or any(o.status == "failed" for o in report.outcomes)
        self.store.record_poll(feed.id, report.outcomes, etag=result.etag,
                               last_modified=result.last_modified, keep_validators=pending,
                               now=now)
        report.feed = self.store.get(feed.id) or feed
        return report

    def _take(self, entries: Sequence[FeedEntry]) -> list[EntryOutcome]:
        """Fetch the entries' pages and add their articles in one batch."""
        outcomes: dict[str, EntryOutcome] = {}
        articles: list[tuple[FeedEntry, Article]] = []
        for entry in entries:
            if not entry.link:
                outcomes[entry.key] = EntryOutcome(entry.key, None, "rejected", detail="the entry has no link")
                continue
            try:
                check_url(entry.link)
                articles.append((entry, fetch_article(self.fetcher, entry.link, published_at=entry.published_at)))
            except FetchError as exc:
                status = "failed" if exc.retryable else "rejected"
                outcomes[entry.key] = EntryOutcome(entry.key, entry.link, status, detail=str(exc))
        if articles:
            report = self.add([article for _, article in articles])
            # Skipped first: when two entries are one article, the one that added it wins.
            verdicts: dict[str, tuple[str, str | None]] = {o.id: ("skipped", o.detail) for o in report.skipped}
            verdicts.update({o.id: ("added", None) for o in [*report.added, *report.replaced]})
            for entry, article in articles:
                status, detail = verdicts.get(article.id, ("skipped", "not added"))
                outcomes[entry.key] = EntryOutcome(entry.key, entry.link, status, article.id, detail)
        return [outcomes[e.key] for e in entries]
