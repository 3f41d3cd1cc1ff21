"""NewsService: the one service layer behind the CLI and the Discord bot.

Usage::

    from bot.config import Settings
    from bot.service import NewsService
    service = NewsService(Settings())
    answer = service.ask("Did Hyundai confirm the plant deal?")
    outcome = service.add_paths([Path("articles.jsonl")])

Everything here is blocking; the Discord layer calls it from a worker thread. The model
and the knowledge base load on first use, so commands that need neither start fast.
"""

from __future__ import annotations

import functools
import threading
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from bot.answer import Answer, Answerer
from bot.companies import CompanyListing, CompanySummary, list_companies, summarize_company
from bot.config import Settings
from index.articles import ParseResult, Rejection, parse_bytes, parse_paths
from index.company_index import CompanyIndex
from index.embedding import Embedder
from index.store import AddReport, ArticleRow, KnowledgeBase

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
        with self._open_lock:
            if "kb" not in self.__dict__:
                self.__dict__["kb"] = KnowledgeBase.open(
                    self.settings.data_dir, self.embedder, lock_timeout=self.settings.lock_timeout,
                    check_model=check_model, enrichers=[self.company_index],
                    vector_policy=self.settings.vector_index)
            return self.__dict__["kb"]

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

    def ask(self, question: str, *, top_k: int | None = None) -> Answer:
        cleaned = clean_question(question, self.settings.max_question_chars)
        return self.answerer.ask(cleaned, top_k=top_k or self.settings.top_k)

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

    def remove_article(self, article_id: str) -> bool:
        return self.kb.remove(article_id)

    def rebuild(self, progress: Progress | None = None) -> AddReport:
        report = self.open_kb(check_model=False).rebuild(progress)
        self.__dict__.pop("answerer", None)
        return report

    def list_articles(self, limit: int | None = None, offset: int = 0) -> list[ArticleRow]:
        return self.kb.list_articles(limit=limit, offset=offset)

    def get_article(self, article_id: str) -> ArticleRow | None:
        return self.kb.get_article(article_id)

    # ------------------------------------------------------------------ companies

    def companies(self) -> list[CompanyListing]:
        return list_companies(self.kb)

    def company_summary(self, name: str) -> CompanySummary:
        return summarize_company(self.kb, name)
