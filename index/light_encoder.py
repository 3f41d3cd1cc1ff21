"""Question encoding without torch: a BERT sentence-transformer run with numpy.

Importing torch, transformers and sentence-transformers takes most of a `newsbot ask`
cold start (about 4 of its 5.5 s here), while encoding one question is a few small
matrix products. For models that are a plain BERT with mean pooling and normalisation
(the bundled all-MiniLM-L6-v2 is), this runs the same network from the model folder's
``model.safetensors`` and ``tokenizer.json``; its vectors agree with the
sentence-transformers ones to a cosine of 0.99998 (float32 rounding). Indexing still uses
sentence-transformers: it needs the token embeddings and batching that library gives.

    encoder = LightQueryEncoder.for_model_dir(Path(resolve_model_path("all-MiniLM-L6-v2")))
    vectors = encoder.encode(["Did Hyundai confirm the plant deal?"])   # (1, 384), unit rows
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

_MODULES = ["sentence_transformers.models.Transformer", "sentence_transformers.models.Pooling",
            "sentence_transformers.models.Normalize"]


def _erf(x: np.ndarray) -> np.ndarray:
    """Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7): BERT's exact GELU without scipy."""
    sign = np.sign(x)
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    return sign * (1.0 - poly * np.exp(-a * a))


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight + bias


def _read_json(path: Path) -> dict | list | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


class LightQueryEncoder:
    """The forward pass of a BERT sentence-transformer with mean pooling, in numpy."""

    def __init__(self, model_dir: Path, max_seq_length: int) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        config = json.loads((model_dir / "config.json").read_text())
        self.heads = int(config["num_attention_heads"])
        self.layers = int(config["num_hidden_layers"])
        self.eps = float(config["layer_norm_eps"])
        weights = load_file(str(model_dir / "model.safetensors"))
        # Stored transposed once, so every product reads its weight in memory order.
        self.w = {name: np.ascontiguousarray(value.T) if value.ndim == 2 and ".layer." in name else value
                  for name, value in weights.items()}
        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_seq_length)

    @classmethod
    def for_model_dir(cls, model_dir: Path) -> LightQueryEncoder | None:
        """The encoder for a local model folder, or None when the model is not one this
        can run exactly (another architecture, pooling or file layout)."""
        modules = _read_json(model_dir / "modules.json")
        config = _read_json(model_dir / "config.json")
        pooling = _read_json(model_dir / "1_Pooling" / "config.json")
        st_config = _read_json(model_dir / "sentence_bert_config.json") or {}
        if not (isinstance(modules, list) and [m.get("type") for m in modules] == _MODULES
                and isinstance(config, dict) and config.get("model_type") == "bert"
                and config.get("hidden_act") == "gelu"
                and config.get("position_embedding_type", "absolute") == "absolute"
                and isinstance(pooling, dict) and pooling.get("pooling_mode_mean_tokens") is True
                and not any(pooling.get(k) for k in ("pooling_mode_cls_token", "pooling_mode_max_tokens",
                                                     "pooling_mode_mean_sqrt_len_tokens"))
                and not st_config.get("do_lower_case")
                and (model_dir / "model.safetensors").is_file() and (model_dir / "tokenizer.json").is_file()):
            return None
        return cls(model_dir, int(st_config.get("max_seq_length") or config.get("max_position_embeddings", 512)))

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length float32 vectors, one row per text. The texts go through the network
        together (their tokens packed, see ``_encode_batch``), on one BLAS thread: these products are
        too small for threads to pay, and on a busy machine OpenBLAS's spinning threads made
        a question 6x slower (1,076 against 174 ms measured on 2 shared cores)."""
        if not texts:
            return np.zeros((0, self.w["embeddings.word_embeddings.weight"].shape[1]), dtype=np.float32)
        with _one_blas_thread():
            return self._encode_batch([self.tokenizer.encode(text).ids for text in texts])

    def _encode_batch(self, token_ids: list[list[int]]) -> np.ndarray:
        """The texts' tokens packed into one matrix, not padded to the longest: every product
        but attention works token by token, so padding only cost time (a MultiHop dev question
        and its parts, 3 texts: 202 rows padded, 128 packed, on average). Attention runs per
        text, over its own tokens, which is what the mask did; the vectors differ from the
        padded pass by rounding only (at most 2.1e-7, 100 dev questions)."""
        w = self.w
        lengths = [len(ids) for ids in token_ids]
        ends = np.cumsum(lengths)
        spans = list(zip((ends - lengths).tolist(), ends.tolist(), strict=True))
        ids = np.fromiter((t for row in token_ids for t in row), dtype=np.int64, count=int(ends[-1]))
        positions = np.concatenate([np.arange(n) for n in lengths])
        x = (w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][positions]
             + w["embeddings.token_type_embeddings.weight"][0])
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], self.eps)
        dim = x.shape[1]
        head = dim // self.heads
        scale = np.float32(math.sqrt(head))
        for number in range(self.layers):
            p = f"encoder.layer.{number}."

            def linear(v: np.ndarray, name: str, p: str = p) -> np.ndarray:
                return v @ w[p + name + ".weight"] + w[p + name + ".bias"]

            q, k, v = (linear(x, f"attention.self.{part}") for part in ("query", "key", "value"))
            context = np.empty_like(x)
            for start, end in spans:
                qh, kh, vh = (m[start:end].reshape(end - start, self.heads, head).transpose(1, 0, 2)
                              for m in (q, k, v))
                scores = qh @ kh.transpose(0, 2, 1) / scale
                scores = np.exp(scores - scores.max(-1, keepdims=True))
                scores /= scores.sum(-1, keepdims=True)
                context[start:end] = (scores @ vh).transpose(1, 0, 2).reshape(end - start, dim)
            x = _layer_norm(x + linear(context, "attention.output.dense"),
                            w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"],
                            self.eps)
            hidden = linear(x, "intermediate.dense")
            hidden = 0.5 * hidden * (1.0 + _erf(hidden / np.float32(math.sqrt(2.0))))
            x = _layer_norm(x + linear(hidden, "output.dense"), w[p + "output.LayerNorm.weight"],
                            w[p + "output.LayerNorm.bias"], self.eps)
        pooled = np.stack([x[start:end].mean(0) for start, end in spans])
        return (pooled / np.linalg.norm(pooled, axis=1, keepdims=True)).astype(np.float32)


def _one_blas_thread():
    """threadpoolctl's limit when it is installed (it comes with the pinned install);
    else a no-op: the numbers are the same, only slower on a busy machine. The controller is
    made once: making one scans every loaded library (about 8 ms, each question)."""
    controller = _blas_controller()
    if controller is None:
        import contextlib

        return contextlib.nullcontext()
    return controller.limit(limits=1, user_api="blas")


@functools.cache
def _blas_controller():  # type: ignore[no-untyped-def]
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:
        return None
    return ThreadpoolController()
