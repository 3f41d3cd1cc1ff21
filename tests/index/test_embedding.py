"""The full model's question path: torch's thread setting while a question is encoded."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from index.embedding import QUERY_TORCH_THREADS, Embedder


def test_a_question_is_encoded_on_one_torch_thread_and_the_setting_is_restored(embedder: Embedder) -> None:
    embedder.load()
    seen: list[int] = []
    transformer = embedder.model[0]  # called as a module, so its hooks run inside the pass
    handle = transformer.register_forward_pre_hook(lambda module, args: seen.append(torch.get_num_threads()))
    previous = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        embedder.encode_queries(["Did Hyundai confirm the plant deal?", "Who led the Lumen Labs round?"])
        assert seen == [QUERY_TORCH_THREADS] and torch.get_num_threads() == 2
    finally:
        handle.remove()
        torch.set_num_threads(previous)


def test_remembered_questions_are_handed_out_without_a_pass_and_others_still_encoded(
        embedder: Embedder, monkeypatch: pytest.MonkeyPatch) -> None:
    embedder.load()
    monkeypatch.setattr("index.embedding.REMEMBERED_QUERIES", 4)
    texts = ["Did the ferry operators confirm the new routes?", "ferry routes", "Who runs Lumen Labs?"]
    fresh = embedder.encode_queries(texts)
    passes: list[int] = []
    handle = embedder.model[0].register_forward_pre_hook(lambda module, args: passes.append(1))
    try:
        embedder.remember_queries(texts + texts[:1])  # a repeated text is encoded once
        embedder.remember_queries(texts[1:])  # and one already remembered not again
        assert len(passes) == 1
        again = embedder.encode_queries([texts[2], texts[0]])
        assert len(passes) == 1 and np.allclose(again, fresh[[2, 0]], atol=1e-5)
        other = embedder.encode_queries([texts[0], "Where is the new ferry terminal?"])
        assert len(passes) == 2 and other.shape == (2, fresh.shape[1])
        embedder.remember_queries(["Where is the new ferry terminal?", "ferry terminal"])  # past the 4 kept
        embedder.encode_queries(texts[1:])
        assert len(passes) == 3
        embedder.encode_queries(texts[:1])  # the oldest was let go
        assert len(passes) == 4
    finally:
        handle.remove()
        embedder._remembered.clear()
