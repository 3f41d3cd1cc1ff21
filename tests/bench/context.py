"""What the benchmarks share in one run: the mode, the data, a scratch folder, one model."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from tests.bench.common import FIXTURE_ARTICLES, KB609, MULTIHOP, QUICK_QUESTIONS, log


@dataclass
class Context:
    quick: bool
    workdir: Path                 # scratch, deleted at the end unless --keep
    cache_dir: Path               # big synthetic stores kept between runs (full mode)
    out_dir: Path                 # profiles and logs next to the JSON
    multihop: Path = MULTIHOP
    kb609: Path = KB609
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def full_data(self) -> bool:
        """The MultiHop-RAG articles and questions are here (full mode needs them)."""
        return (self.multihop / "articles.jsonl").is_file() and (self.multihop / "dev-questions.jsonl").is_file()

    @cached_property
    def embedder(self):
        """The production model and settings (bundled MiniLM, batch 8, precision auto), loaded once."""
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from bot.config import Settings
        from bot.service import shared_embedder

        s = Settings()
        embedder = shared_embedder(s.model, s.embed_batch_size, s.precision, s.allow_model_download)
        embedder.encode_queries(["warm up"])
        return embedder

    def articles(self, limit: int | None = None) -> list:
        from index.intake import parse_paths

        if self.quick or not self.full_data:
            parsed = parse_paths(FIXTURE_ARTICLES)
        else:
            parsed = parse_paths([self.multihop / "articles.jsonl"])
        articles = list(parsed.articles)
        return articles[:limit] if limit else articles

    def questions(self, limit: int | None = None) -> list[str]:
        if self.quick or not self.full_data:
            questions = list(QUICK_QUESTIONS)
        else:
            with open(self.multihop / "dev-questions.jsonl", encoding="utf-8") as handle:
                questions = [json.loads(line)["question"] for line in handle if line.strip()]
        return questions[:limit] if limit else questions

    def scratch(self, name: str) -> Path:
        path = self.workdir / name
        if path.exists():
            shutil.rmtree(path)
        path.mkdir(parents=True)
        return path

    built_kb: Path | None = None  # the 609-article KB the indexing benchmark built in this run

    def base_kb(self) -> Path:
        """A private copy of the question-answering knowledge base. Full mode: the one the
        indexing benchmark built in this run, else a copy of /tmp/kb609 when its tables
        match the current code, else one built here (and cached). Quick mode: the test
        fixtures. The source is never written in place."""
        target = self.workdir / "base-kb"
        if target.exists():
            return target
        if not self.quick:
            source = self._full_kb_source()
            if source is not None:
                log(f"base knowledge base: copying {source}")
                shutil.copytree(source, target, ignore=shutil.ignore_patterns("write.lock"))
                (target / "write.lock").touch()
                return target
        self._build_kb(target, FIXTURE_ARTICLES if self.quick or not self.full_data
                       else [self.multihop / "articles.jsonl"])
        return target

    def _full_kb_source(self) -> Path | None:
        if self.built_kb is not None and (self.built_kb / "newsbot.db").is_file():
            return self.built_kb
        if (self.kb609 / "newsbot.db").is_file():
            problem = schema_problem(self.kb609 / "newsbot.db")
            if problem is None:
                return self.kb609
            log(f"{self.kb609} does not match the current code ({problem}); building the 609-article KB")
        if not self.full_data:
            return None
        cached = self.cache_dir / f"kb609-{schema_key()}"
        if not (cached / "newsbot.db").is_file():
            self._build_kb(cached, [self.multihop / "articles.jsonl"])
        return cached

    def _build_kb(self, target: Path, paths: list[Path]) -> None:
        from bot.config import Settings
        from bot.service import NewsService

        log(f"building a knowledge base in {target} from {', '.join(map(str, paths))}")
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".partial")
        if partial.exists():
            shutil.rmtree(partial)
        service = NewsService(Settings(data_dir=partial), embedder=self.embedder)
        outcome = service.add_paths(paths)
        service.kb.checkpoint()
        service.close()
        if not outcome.report.added:
            raise RuntimeError(f"could not build a knowledge base from {paths}")
        partial.rename(target)


def production_enrichers() -> list:
    from index.companies import CompanyIndex

    return [CompanyIndex()]


def schema_problem(db_path: Path) -> str | None:
    """Why a knowledge base's tables do not match what the current code writes, or None."""
    expected = sqlite3.connect(":memory:")
    for enricher in production_enrichers():
        expected.executescript(enricher.schema)
    actual = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        for (table,) in expected.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
            want = {r[1] for r in expected.execute(f"PRAGMA table_info({table})")}
            have = {r[1] for r in actual.execute(f"PRAGMA table_info({table})")}
            if have and want - have:
                return f"{table} lacks {', '.join(sorted(want - have))}"
    finally:
        actual.close()
        expected.close()
    return None


def schema_key() -> str:
    """Changes when the enrichers' tables change, so a cached KB is rebuilt then."""
    text = "".join(e.schema for e in production_enrichers())
    return hashlib.sha256(text.encode()).hexdigest()[:8]
