"""The torch-free question encoder against the sentence-transformers model it stands in for."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np

from index.embedding import Embedder, resolve_model_path
from index.light_encoder import LightQueryEncoder
from tests.conftest import REPO


def test_light_vectors_match_the_full_model_including_a_question_past_the_token_limit(embedder: Embedder) -> None:
    texts = ["Did Hyundai confirm the plant deal?", "Who led the Lumen Labs funding round?",
             "Was the toll plan rejected? " * 60]  # ~420 word pieces: both must cut at 256
    embedder.load()
    full = embedder.encode_queries(texts)
    light = embedder.light_encoder.encode(texts)
    assert light.shape == full.shape and light.dtype == np.float32
    assert np.allclose(np.linalg.norm(light, axis=1), 1.0, atol=1e-5)
    assert float(np.min(np.sum(light * full, axis=1))) > 0.9999


def test_a_model_with_other_pooling_is_left_to_sentence_transformers(tmp_path: Path) -> None:
    model_dir = Path(resolve_model_path("all-MiniLM-L6-v2"))
    copy = tmp_path / "cls-pooled"
    shutil.copytree(model_dir, copy)
    pooling = copy / "1_Pooling" / "config.json"
    config = json.loads(pooling.read_text())
    pooling.write_text(json.dumps({**config, "pooling_mode_mean_tokens": False, "pooling_mode_cls_token": True}))
    assert LightQueryEncoder.for_model_dir(copy) is None
    assert LightQueryEncoder.for_model_dir(model_dir) is not None


def test_a_one_off_cli_question_answers_without_importing_torch(seeded_dir: Path) -> None:
    question = "Did Hyundai confirm the plant deal?"
    probe = ("import json, sys; from bot.cli import main; "
             f"code = main(['--data-dir', {str(seeded_dir)!r}, 'ask', '--json', {question!r}]); "
             "print(json.dumps({'code': code, 'torch': 'torch' in sys.modules}), file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, timeout=120)
    status = json.loads(done.stderr.strip().splitlines()[-1])
    assert status == {"code": 0, "torch": False}, done.stderr[-1000:]
    assert json.loads(done.stdout)["verdict"] == "no"
