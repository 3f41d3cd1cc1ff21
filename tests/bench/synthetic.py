"""Synthetic vectors for the scale benchmarks, shaped like the real ones.

``base_vectors`` is the real chunk vectors of the 609-article knowledge base when it is
here (7,658 MiniLM vectors), else a clustered stand-in (2,000 random "topics", four
"documents" around each). ``synthetic_vectors`` draws unit vectors from that base:

- 80 % "children": a base vector plus Gaussian noise of norm ``noise`` (0.8: cosine ≈ 0.78
  to the parent, ≈ 0.61 between siblings), like other reports of the same story;
- 10 % "blends": the mean of two base vectors plus the same noise (stories that mix topics);
- 10 % uniform random unit vectors (off-topic articles).

Random unit vectors alone would make approximate search meaningless (in 384 dimensions
every point is nearly equidistant from every other), and copies of the base alone would
make it trivial; this mixture has real neighbourhoods with real margins. The benchmark
also queries with the real dev-question vectors against it, which is the harder case.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np

NOISE = 0.8
BLEND_SHARE = 0.1
UNIFORM_SHARE = 0.1


def normalise(x: np.ndarray) -> np.ndarray:
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x


def clustered_base(dim: int = 384, topics: int = 2000, per_topic: int = 4, seed: int = 7) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = normalise(rng.standard_normal((topics, dim)).astype(np.float32))
    docs = np.repeat(centres, per_topic, axis=0)
    docs += 0.7 * rng.standard_normal(docs.shape).astype(np.float32) / np.sqrt(dim)
    return normalise(docs)


def real_base(db_path: Path) -> np.ndarray | None:
    if not db_path.is_file():
        return None
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        rows = db.execute("SELECT vector FROM chunk_vectors ORDER BY chunk_id").fetchall()
    finally:
        db.close()
    if not rows:
        return None
    return np.frombuffer(b"".join(r[0] for r in rows), dtype=np.float32).reshape(len(rows), -1).copy()


def base_vectors(kb_dir: Path | None) -> tuple[np.ndarray, str]:
    if kb_dir is not None:
        base = real_base(kb_dir / "newsbot.db")
        if base is not None:
            return base, f"the {len(base):,} real chunk vectors of {kb_dir}"
    base = clustered_base()
    return base, f"a clustered stand-in ({len(base):,} vectors around 2,000 random topics)"


def synthetic_vectors(base: np.ndarray, n: int, seed: int, noise: float = NOISE,
                      parents: np.ndarray | None = None, uniform_share: float = UNIFORM_SHARE) -> np.ndarray:
    """``n`` unit float32 vectors drawn around ``base`` (see the module docstring).
    ``parents`` fixes which base row each child comes from (the store benchmark uses it
    so a copied chunk's vector stays near its own text's vector). Queries are drawn with
    ``uniform_share=0``: a uniformly random query has no neighbourhood to find."""
    rng = np.random.default_rng(seed)
    dim = base.shape[1]
    out = np.empty((n, dim), dtype=np.float32)
    step = 65536
    for start in range(0, n, step):
        m = min(step, n - start)
        kind = rng.random(m)
        first = parents[start:start + m] if parents is not None else rng.integers(0, len(base), m)
        second = rng.integers(0, len(base), m)
        x = base[first].copy()
        blend = (kind >= uniform_share) & (kind < uniform_share + BLEND_SHARE)
        if parents is None:
            x[blend] = normalise(x[blend] + base[second[blend]])
        x += noise * rng.standard_normal((m, dim)).astype(np.float32) / np.sqrt(dim)
        if parents is None:
            uniform = kind < uniform_share
            x[uniform] = rng.standard_normal((int(uniform.sum()), dim)).astype(np.float32)
        out[start:start + m] = normalise(x)
    return out
