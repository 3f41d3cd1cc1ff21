"""NewsService: the one service layer behind both faces, the CLI and the Discord bot.

Usage::

    from bot.config import Settings
    from bot.service import NewsService, QuestionError
    service = NewsService(Settings())
    try:
        answer = service.ask("  Did Hyundai confirm the plant deal?\n")  # cleaned here, once
    except QuestionError as exc:                                         # empty, too long
        print(exc)
    outcome = service.add_paths([Path("articles.jsonl")])
    outcome = service.add_url("https://example.org/news/1.html")    # fetched safely, see index.intake.fetch
    feed = service.add_feed("https://example.org/rss.xml", name="Example")
    reports = service.poll_feeds()                                   # the feeds that are due
    service.enrich(); service.export_to(Path("kb.jsonl")); service.import_from(Path("kb.jsonl"))

The faces pass the user's raw text and show QuestionError's message; neither cleans a
question itself, and neither reaches into ``service.kb`` or ``service.embedder``: what they
need is a method here. Everything is blocking; the Discord layer calls it from a worker
thread. The model and the knowledge base load on first use, so commands that need neither
start fast.
"""

from __future__ import annotations

import contextlib
import functools
import threading
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from bot.config import Settings
from bot.engine.answer import Answer, Answerer
from bot.engine.companies import CompanyListing, CompanySummary, list_companies, summarize_company
from bot.engine.syntax import load_parser
from index.companies import CompanyIndex
from index.companies.entity_spans import SentenceEntities
from index.embedding import Embedder
from index.intake import Article, ParseResult, Rejection, parse_bytes, parse_paths
from index.intake.feeds import FEEDS_FILE, Feed, FeedError, FeedPoller, FeedStore, PollReport
from index.intake.fetch import Fetcher, FetchError, FetchPolicy, check_url, fetch_article
from index.store import AddReport, ArticleOutcome, ArticleRow, KnowledgeBase
from index.store.embedded import EmbeddedKnowledgeBase

Progress = Callable[[int, int], None]


class QuestionError(ValueError):
    """A question we refuse before any work; the message is for the user."""


@dataclass
class AddOutcome:
    report: AddReport
    rejected: list[Rejection] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.rejected

    def merged(self, other: AddOutcome) -> AddOutcome:
        """Two adds as one: their outcomes in order, their chunks and seconds summed."""
        a, b = self.report, other.report
        report = AddReport(added=a.added + b.added, replaced=a.replaced + b.replaced, skipped=a.skipped + b.skipped,
                           chunks_added=a.chunks_added + b.chunks_added, seconds=a.seconds + b.seconds)
        return AddOutcome(report, self.rejected + other.rejected)

    def to_dict(self) -> dict:
        def rows(items: Sequence) -> list[dict]:
            return [{"id": i.id, "title": i.title, "file": i.origin, **({"reason": i.detail} if i.detail else {})}
                    for i in items]

        return {
            "added": rows(self.report.added),
            "replaced": rows(self.report.replaced),
            "skipped": rows(self.report.skipped),
            "rejected": [{"file": r.file, "reason": r.reason} for r in self.rejected],
            "chunks_added": self.report.chunks_added,
            "seconds": round(self.report.seconds, 3),
        }


def clean_question(text: str, max_chars: int) -> str:
    """Control characters out, whitespace collapsed; empty or over-long is refused."""
    if not isinstance(text, str):
        raise QuestionError("the question must be text")
    visible = "".join(" " if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Zl", "Zp") else ch for ch in text)
    question = " ".join(visible.split())
    if not question:
        raise QuestionError("the question is empty")
    if len(question) > max_chars:
        raise QuestionError(f"the question is {len(question)} characters long; the limit is {max_chars}")
    return question


@functools.cache
def shared_embedder(model: str, batch_size: int, precision: str, allow_download: bool) -> Embedder:
    """One model per process and configuration: services, tests and the bot share it."""
    return Embedder(model, batch_size=batch_size, precision=precision, allow_download=allow_download)


class NewsService:
    """The questions, articles, feeds and companies of one knowledge base (see the module
    docstring). About 260 lines: one short method per thing a face asks for, so both faces
    share one seam."""

    def __init__(self, settings: Settings | None = None, *, embedder: Embedder | None = None) -> None:
        self.settings = settings or Settings()
        self._given_embedder = embedder
        self._open_lock = threading.Lock()

    @cached_property
    def embedder(self) -> Embedder:
        if self._given_embedder is not None:
            return self._given_embedder
        s = self.settings
        return shared_embedder(s.model, s.embed_batch_size, s.precision, s.allow_model_download)

    def open_kb(self, *, check_model: bool = True) -> KnowledgeBase:
        """The knowledge base of the settings (cluster or embedded), opened once and kept."""
        with self._open_lock:
            if "kb" not in self.__dict__:
                from index.store.cluster import cluster_configured, open_cluster

                s = self.settings
                enrichers = [self.company_index, SentenceEntities()]
                if cluster_configured(s.database_url, s.milvus_uri):  # nothing is written to SQLite then
                    self.__dict__["kb"] = open_cluster(s.database_url, s.milvus_uri, self.embedder,
                                                       lock_timeout=s.lock_timeout, check_model=check_model,
                                                       enrichers=enrichers)
                else:
                    self.__dict__["kb"] = self.open_embedded_kb(check_model=check_model, enrichers=enrichers)
            return self.__dict__["kb"]

    def open_embedded_kb(self, *, check_model: bool = True, lock_timeout: float | None = None,
                         enrichers: Sequence | None = None) -> KnowledgeBase:
        """A new handle on the embedded store in the data dir, which the caller closes (the
        doctor opens one with a short lock wait and no model check)."""
        s = self.settings
        return EmbeddedKnowledgeBase.open(s.data_dir, self.embedder, check_model=check_model,
                                          lock_timeout=s.lock_timeout if lock_timeout is None else lock_timeout,
                                          enrichers=[self.company_index] if enrichers is None else enrichers,
                                          vector_policy=s.vector_index)

    @property
    def uses_cluster(self) -> bool:
        """Whether the settings name the cluster backend (either of its two settings set)."""
        return bool(self.settings.database_url or self.settings.milvus_uri)

    @cached_property
    def company_index(self) -> CompanyIndex:
        """The company enricher; spaCy loads only when an ingest first needs it."""
        return CompanyIndex()

    @property
    def kb(self) -> KnowledgeBase:
        return self.open_kb()

    @cached_property
    def answerer(self) -> Answerer:
        return Answerer(self.kb)

    def close(self) -> None:
        if "kb" in self.__dict__:
            self.__dict__.pop("kb").close()
        if "fetcher" in self.__dict__:
            self.__dict__.pop("fetcher").close()

    # ------------------------------------------------------------------ questions

    def ensure_seeded(self, notify: Callable[[str], None] | None = None) -> AddOutcome | None:
        """The embedded default: an empty knowledge base is filled from the seeds folder."""
        if not self.kb.is_empty():
            return None
        seeds = self.settings.seeds_dir
        if not seeds.is_dir():
            return None
        if notify:
            notify(f"the knowledge base in {self.settings.data_dir} is empty; "
                   f"indexing the seed articles from {seeds} first")
        return self.add_paths([seeds])

    def ask(self, question: str, *, top_k: int | None = None,
            seed_if_empty: Callable[[str], None] | None = None) -> Answer:
        """The answer to the user's raw text, which is cleaned here (the one place); QuestionError
        says why a question is refused, before anything else happens. ``top_k`` overrides
        NEWSBOT_TOP_K. With ``seed_if_empty``, an empty knowledge base is first filled from
        the seeds folder, and that callable is told so (the CLI's first question)."""
        cleaned = clean_question(question, self.settings.max_question_chars)
        if seed_if_empty is not None:
            self.ensure_seeded(notify=seed_if_empty)
        return self.answerer.ask(cleaned, top_k=top_k or self.settings.top_k)

    def prepare(self, questions: Sequence[str]) -> None:
        """Encodes a group of questions together before they are asked one by one (``ask
        --batch``); a question the service would refuse is left out, ``ask`` says why."""
        cleaned = []
        for question in questions:
            with contextlib.suppress(QuestionError):
                cleaned.append(clean_question(question, self.settings.max_question_chars))
        self.answerer.prepare(cleaned)

    def is_empty(self) -> bool:
        """Whether the knowledge base holds no article."""
        return self.kb.is_empty()

    def warm_up(self) -> None:
        """Loads the full model and answers one question, so the next answers run warm (as
        in the bot; a one-off CLI question uses the light encoder instead)."""
        self.load_model()
        load_parser()  # the short answers' parser, so the first member's question does not load it
        self.ask("warm-up question")

    # ------------------------------------------------------------------ the model

    @property
    def model_name(self) -> str:
        """The configured embedding model, as the knowledge base records it."""
        return self.embedder.name

    def load_model(self) -> None:
        """Loads the full model now (the bot pays the import once, at start); until then a
        question is encoded by the light encoder. ModelUnavailableError says why it cannot."""
        self.embedder.load()

    def encode_with_full_model(self, texts: Sequence[str]):
        """Unit vectors from the full model (loaded now), as indexing computes them: the
        doctor's proof that the model works. ModelUnavailableError says why it does not."""
        self.load_model()
        return self.embedder.encode_queries(list(texts))

    # ------------------------------------------------------------------ articles

    def add_parsed(self, parsed: ParseResult, progress: Progress | None = None) -> AddOutcome:
        report = self.kb.add_articles(parsed.articles, progress=progress) if parsed.articles else AddReport()
        return AddOutcome(report, list(parsed.rejections))

    def add_paths(self, paths: Sequence[Path], progress: Progress | None = None) -> AddOutcome:
        return self.add_parsed(parse_paths(paths), progress)

    def add_upload(self, name: str, data: bytes, progress: Progress | None = None) -> AddOutcome:
        """An attachment: only its base name is used, so no path in it reaches the disk."""
        safe_name = Path(name.replace("\\", "/")).name or "upload"
        return self.add_parsed(parse_bytes(data, safe_name), progress)

    def add_url(self, url: str, progress: Progress | None = None) -> AddOutcome:
        """A web page's article, fetched safely (``index.intake.fetch``); a page that cannot be
        fetched, or holds no article, is a rejection with the reason."""
        return self.add_urls([url], progress)

    def add_urls(self, urls: Sequence[str], progress: Progress | None = None) -> AddOutcome:
        articles, rejected = [], []
        for url in urls:
            try:
                articles.append(fetch_article(self.fetcher, url))
            except FetchError as exc:
                rejected.append(Rejection(url, str(exc)))
        report = self.add_fetched(articles, progress) if articles else AddReport()
        return AddOutcome(report, rejected)

    def add_fetched(self, articles: Sequence[Article], progress: Progress | None = None) -> AddReport:
        """Fetched articles: one whose canonical URL another article already has is a
        duplicate (the store dedupes on id and content; this adds the URL)."""
        report, fresh = AddReport(), []
        for article in articles:
            twin = self.article_with_url(article.url, other_than=article.id) if article.url else None
            if twin is not None:
                detail = f"duplicate: article {twin} has the same URL"
                report.skipped.append(ArticleOutcome(article.id, article.title, article.origin, detail))
            else:
                fresh.append(article)
        if fresh:
            added = self.kb.add_articles(fresh, progress=progress)
            report.added, report.replaced = added.added, added.replaced
            report.skipped += added.skipped
            report.chunks_added, report.seconds = added.chunks_added, added.seconds
        return report

    def article_with_url(self, url: str, *, other_than: str = "") -> str | None:
        """The id of an indexed article with this URL (other than ``other_than``), if any."""
        with self.kb.reader() as snap:
            rows = snap.query("SELECT id FROM articles WHERE url = ? AND id != ? LIMIT 1", (url, other_than))
        return rows[0][0] if rows else None

    def remove_article(self, article_id: str) -> bool:
        return self.kb.remove(article_id)

    def rebuild(self, progress: Progress | None = None) -> AddReport:
        report = self.open_kb(check_model=False).rebuild(progress)
        self.__dict__.pop("answerer", None)
        return report

    def enrich(self) -> int:
        """Runs company and entity extraction over the articles indexed before it existed
        (no re-embedding); returns how many articles it processed."""
        return self.kb.enrich()

    def export_to(self, path: Path):
        """Writes every article with its offsets and vectors to ``path`` (either backend)."""
        from index.store.cluster.transfer import export_kb

        return export_kb(self.kb, path)

    def import_from(self, path: Path) -> AddReport:
        """Reads an export: copied as it is into the cluster, re-derived into the embedded store."""
        from index.store.cluster.transfer import import_kb

        return import_kb(self.kb, path)

    def list_articles(self, limit: int | None = None, offset: int = 0) -> list[ArticleRow]:
        return self.kb.list_articles(limit=limit, offset=offset)

    def get_article(self, article_id: str) -> ArticleRow | None:
        return self.kb.get_article(article_id)

    def first_sentence(self, article_id: str) -> tuple[ArticleRow, str] | None:
        """An article and its first sentence, verbatim (``body[start:end]`` of the first
        stored sentence), for announcements; None when the article is gone."""
        row = self.kb.get_article(article_id)
        if row is None:
            return None
        with self.kb.reader() as snap:
            sentences = snap.article_sentences(article_id)
        first = next((s for s in sentences if row.body[s.start:s.end].strip()), None)
        return row, (row.body[first.start:first.end] if first else row.body.split("\n", 1)[0])

    # ------------------------------------------------------------------ feeds

    @cached_property
    def fetcher(self) -> Fetcher:
        s = self.settings
        return Fetcher(FetchPolicy(allow_hosts=tuple(s.fetch_allow_hosts), timeout=s.fetch_timeout,
                                   max_bytes=s.fetch_max_bytes))

    @cached_property
    def feed_store(self) -> FeedStore:
        return FeedStore(self.settings.data_dir / FEEDS_FILE)

    @cached_property
    def feed_poller(self) -> FeedPoller:
        return FeedPoller(self.feed_store, self.fetcher, self.add_fetched,
                          interval_minutes=self.settings.feed_interval)

    def add_feed(self, url: str, name: str | None = None) -> Feed:
        """Follow a feed: it is fetched once now, to refuse what is not a feed; its entries
        are indexed by the next poll. FeedError (or FetchError) says why it is refused."""
        from index.intake import canonical_url

        check_url(url)
        address = canonical_url(url) or url
        existing = self.feed_store.find(address)
        if existing is not None:
            raise FeedError(f"already following that feed as {existing.id} ({existing.name})")
        parsed, _ = self.feed_poller.fetch_feed(address)
        title = " ".join((name or "").split()) or (parsed.title if parsed else "") or check_url(address).host
        return self.feed_store.add(address, title[:200])

    def list_feeds(self) -> list[Feed]:
        return self.feed_store.feeds()

    def remove_feed(self, feed_id: int) -> bool:
        return self.feed_store.remove(feed_id)

    def poll_feeds(self, *, only_due: bool = True) -> list[PollReport]:
        """Poll the feeds (those not backing off, unless ``only_due`` is False)."""
        if not only_due:
            return [self.feed_poller.poll(feed) for feed in self.feed_store.feeds()]
        return self.feed_poller.poll_due()

    # ------------------------------------------------------------------ companies

    def companies(self) -> list[CompanyListing]:
        return list_companies(self.kb)

    def company_summary(self, name: str) -> CompanySummary:
        return summarize_company(self.kb, name)
