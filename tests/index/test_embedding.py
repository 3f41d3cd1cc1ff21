"""The full model's question path: its threads while a question is encoded, and remembered vectors."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import torch

from index.embedding import QUERY_TORCH_THREADS, Embedder


def test_a_question_and_its_parts_are_encoded_in_two_halves_on_two_threads_each_on_one_torch_thread(
        embedder: Embedder) -> None:
    embedder.load()
    seen: list[tuple[str, int, int]] = []  # (thread, torch threads, texts) of each pass
    transformer = embedder.model[0]  # called as a module, so its hooks run inside the pass
    handle = transformer.register_forward_pre_hook(lambda module, args: seen.append(
        (threading.current_thread().name, torch.get_num_threads(), len(args[0]["input_ids"]))))
    texts = ["According to the Harbour Post, did the ferry operators confirm the new routes?",
             "According to the Harbour Post", "did the ferry operators confirm the new routes?"]
    previous = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        together = embedder.encode_queries(texts)
        assert torch.get_num_threads() == 2
        assert sorted(count for _, _, count in seen) == [1, 2]  # the question, then its two parts
        assert {threads for _, threads, _ in seen} == {QUERY_TORCH_THREADS}
        assert len({thread for thread, _, _ in seen}) == 2
        alone = np.stack([embedder.encode_queries([text])[0] for text in texts])
        assert np.all(np.sum(together * alone, axis=1) > 0.999)  # each row is its own text's
    finally:
        handle.remove()
        torch.set_num_threads(previous)


def test_remembered_questions_are_handed_out_without_a_pass_and_others_still_encoded(
        embedder: Embedder, monkeypatch: pytest.MonkeyPatch) -> None:
    embedder.load()
    monkeypatch.setattr("index.embedding.REMEMBERED_QUERIES", 4)
    texts = ["Did the ferry operators confirm the new routes?", "ferry routes", "Who runs Lumen Labs?"]
    fresh = embedder.encode_queries(texts)
    encoded: list[int] = []  # texts through the model, pass by pass
    handle = embedder.model[0].register_forward_pre_hook(
        lambda module, args: encoded.append(len(args[0]["input_ids"])))
    try:
        embedder.remember_queries(texts + texts[:1])  # a repeated text is encoded once
        embedder.remember_queries(texts[1:])  # and one already remembered not again
        assert sum(encoded) == 3
        again = embedder.encode_queries([texts[2], texts[0]])
        assert sum(encoded) == 3 and np.allclose(again, fresh[[2, 0]], atol=1e-5)
        other = embedder.encode_queries([texts[0], "Where is the new ferry terminal?"])
        assert sum(encoded) == 5 and other.shape == (2, fresh.shape[1])
        embedder.remember_queries(["Where is the new ferry terminal?", "ferry terminal"])  # past the 4 kept
        embedder.encode_queries(texts[1:])
        assert sum(encoded) == 7
        embedder.encode_queries(texts[:1])  # the oldest was let go
        assert sum(encoded) == 8
    finally:
        handle.remove()
        embedder._remembered.clear()
