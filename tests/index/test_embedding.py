"""The full model's question path: torch's thread setting while a question is encoded."""

from __future__ import annotations

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
