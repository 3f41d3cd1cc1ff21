"""Run in a fresh interpreter by the cold-start benchmark: the time from process start to
each step of a first answer, as JSON on stdout. Usage: python -m tests.bench.coldstart_probe DATA_DIR QUESTION"""

from __future__ import annotations

import time

T0 = time.perf_counter()

import json  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402


def main() -> None:
    data_dir, question = Path(sys.argv[1]), sys.argv[2]
    marks: dict[str, float] = {}

    def mark(name: str) -> None:
        marks[name] = round(time.perf_counter() - T0, 3)

    from bot.config import Settings
    from bot.service import NewsService
    mark("import bot.service (pydantic, faiss, numpy, the bot modules)")
    service = NewsService(Settings(data_dir=data_dir))
    kb = service.kb
    mark("open the knowledge base (SQLite, schema check)")
    with kb.reader():
        pass
    mark("first read: vector checkpoint loaded")
    service.embedder.light_encoder  # noqa: B018
    mark("light question encoder loaded (numpy, tokenizers, safetensors)")
    service.embedder.encode_queries([question])
    mark("first query encoded")
    answer = service.ask(question)
    mark("first answer")
    heavy = sorted(m for m in ("torch", "transformers", "sentence_transformers", "sklearn", "scipy", "spacy",
                               "discord", "pandas", "trafilatura", "bm25s", "rapidfuzz") if m in sys.modules)
    print(json.dumps({"marks": marks, "timings_ms": answer.timings_ms, "modules_loaded": heavy}))


if __name__ == "__main__":
    main()
