"""Shared fixtures: the real bundled model, loaded once per session, and knowledge bases
built with it in temporary folders."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from bot.config import Settings
from bot.service import NewsService, shared_embedder
from index.embedding import Embedder

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
TEST_ARTICLES = FIXTURES / "articles"
# An article written for the tests that no seed holds: what an admin adds in the Discord tests.
NEW_ARTICLE = b"""Quillfeather Robotics opens a glider factory in Port Ellery
Source: Harbor Ledger
Date: 2024-07-02

Quillfeather Robotics opened a factory for autonomous cargo gliders in Port Ellery on Tuesday.
The plant will employ 340 people and build 90 gliders a year, the company said.
"""


def settings_for(data_dir: Path, **overrides: object) -> Settings:
    return Settings(data_dir=data_dir, seeds_dir=SEEDS, **overrides)


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    default = Settings()
    return shared_embedder(default.model, default.embed_batch_size, default.precision, False)


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Path:
    """A knowledge base holding the seed article and the test articles, built once."""
    data_dir = tmp_path_factory.mktemp("seeded-kb")
    service = NewsService(settings_for(data_dir), embedder=embedder)
    outcome = service.add_paths([SEEDS, TEST_ARTICLES])
    assert outcome.ok, outcome.rejected
    service.close()
    return data_dir


@pytest.fixture
def seeded_dir(seeded_template: Path, tmp_path: Path) -> Path:
    """A private copy of the seeded knowledge base that a test may change."""
    target = tmp_path / "kb"
    shutil.copytree(seeded_template, target)
    return target


@pytest.fixture
def service(seeded_dir: Path, embedder: Embedder):
    svc = NewsService(settings_for(seeded_dir), embedder=embedder)
    yield svc
    svc.close()
