"""The benchmarks' quick mode, in the normal test run, so the suite cannot rot. Nothing here
asserts a time: only that every benchmark ran and produced figures that make sense."""

from __future__ import annotations

import json
import math

import pytest

from tests.bench.run import NAMES, run


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory, embedder) -> dict:  # the session's model, loaded once
    root = tmp_path_factory.mktemp("bench-quick")
    return run(NAMES, quick=True, out=root / "quick.json", workdir=root / "work", cache_dir=root / "cache")


def figures(report: dict, name: str) -> dict:
    bench = report["benchmarks"][name]
    assert bench["error"] is None, bench["error"]
    assert bench["rows"], f"{name} produced no rows"
    return bench["figures"]


def positive(value: float) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value) and value > 0


def test_the_report_describes_the_machine_and_is_written(report: dict) -> None:
    machine = report["machine"]
    assert machine["cores"] >= 1 and machine["python"] and machine["torch"] and machine["faiss"]
    assert report["order"] == NAMES
    assert "| figure | value |" in report["markdown"]
    assert json.loads(json.dumps(report))  # serialisable as written


def test_indexing_compares_the_add_with_the_bare_model(report: dict) -> None:
    f = figures(report, "indexing")
    assert f["windows"] > 0
    assert f["add_full"]["chunks"] == f["add_without_enrichers"]["chunks"] == f["windows"]
    for key in ("ratio_without_enrichers", "ratio_full"):
        assert positive(f[key])
    assert positive(f["bare"]["chunks_per_s"])


def test_latency_has_every_stage(report: dict) -> None:
    f = figures(report, "latency")
    stages = f["stages_ms"]
    for stage in ("encode", "search", "fusion", "answer", "total"):
        assert positive(stages[stage]["p50"]) and stages[stage]["p50"] <= stages[stage]["p99"]
    assert stages["total"]["p50"] >= stages["search"]["p50"]


def test_scale_reports_recall_latency_and_memory(report: dict) -> None:
    f = figures(report, "scale")
    sizes = [k for k in f if k.isdigit()]
    assert sizes
    for size in sizes:
        entry = f[size]
        assert positive(entry["flat"]["latency_ms_k10"]["p50"])
        for name, data in entry.items():
            if not name.startswith("ivf"):
                continue
            recalls = [data["nprobe"][p]["recall_at_10"]["all"] for p in sorted(data["nprobe"], key=int)]
            assert all(0.0 <= r <= 1.0 for r in recalls)
            assert recalls == sorted(recalls)  # more lists probed never finds less
            assert positive(data["file_bytes_per_chunk"])
        assert entry["ivf-sq8-" + str(entry[next(k for k in entry if k.startswith("ivf-"))]["nlist"])][
            "file_bytes_per_chunk"] < entry["flat"]["file_bytes_per_chunk"]
        if "hnsw-32" in entry:
            assert all(0.0 <= v["recall_at_10"]["all"] <= 1.0 for v in entry["hnsw-32"]["efSearch"].values())


def test_store_grows_converts_and_adds(report: dict) -> None:
    f = figures(report, "store")
    stages = [f[k] for k in f if k.isdigit()]
    assert len(stages) >= 2
    for stage in stages:
        assert stage["chunks"] >= stage["target"]
        assert positive(stage["e2e"]["stages_ms"]["total"]["p50"])
        assert stage["adds"] and all(positive(a["add_and_sync_s"]) and a["chunks"] > 0 for a in stage["adds"])
    assert stages[0]["vector_index"]["kind"] == "flat"
    assert stages[-1]["vector_index"]["kind"] == "ivf"  # the quick run lowers the threshold to cross it


def test_coldstart_times_every_step(report: dict) -> None:
    f = figures(report, "coldstart")
    assert all(positive(w) for w in f["cli_wall_s"])
    marks = list(f["steps_s"].values())
    assert marks == sorted(marks) and positive(marks[-1])
    assert positive(f["alternative_imports_s"]["sentence_transformers (indexing and the bot)"])
    assert "torch" not in f["modules_loaded_by_ask"]  # a CLI question takes the light encoder


def test_concurrency_answers_everyone_and_keeps_beating(report: dict) -> None:
    f = figures(report, "concurrency")
    assert f["answered_with_embed"] == f["concurrent"] and f["acks_missing"] == 0
    assert positive(f["throughput_per_s"]) and positive(f["longest_heartbeat_gap_s"])
    assert f["bot_exit_code"] == 0


def test_doctor_times_every_check_healthy_and_next_to_a_busy_writer(report: dict) -> None:
    f = figures(report, "doctor")
    assert positive(f["healthy_s"]) and positive(f["busy_writer_s"])
    assert {"model", "integrity", "consistency", "vectors", "lexical"} <= set(f["per_check_s"])
    assert f["checks"] == 13 and set(f["failing_healthy"]) <= {"discord token"}
    assert f["finished_while_writer_held_lock"] and "another newsbot process is writing" in f["busy_detail"]


def test_engines_measure_bm25_and_compressed_vectors_as_they_grow(report: dict) -> None:
    f = figures(report, "engines")
    lexical = [f["lexical"][k] for k in f["lexical"] if k.isdigit()]
    assert len(lexical) >= 2 and lexical[-1]["docs"] > lexical[0]["docs"] > f["lexical"]["base_chunks"]
    for entry in lexical:
        assert positive(entry["ms_k200"]["p50"]) and positive(entry["disk_bytes_per_chunk"])
    vectors = [f["vectors"][k] for k in f["vectors"] if k.isdigit()]
    assert len(vectors) >= 2 and vectors[-1]["n"] > vectors[0]["n"]
    for entry in vectors:
        for name in ("ivf-sq8", "ivf-pq"):
            points = [entry[name]["nprobe"][p] for p in sorted(entry[name]["nprobe"], key=int)]
            for point in points:
                for got in point["by_queries"].values():
                    # the exact top 10 is at least as often in the top 200 as in the top 10
                    assert 0.0 <= got["recall_at_10"] <= got["top10_in_top200"] <= 1.0
            recalls = [point["by_queries"]["synthetic"]["recall_at_10"] for point in points]
            assert recalls == sorted(recalls) and recalls[-1] > 0  # more lists probed never finds less
        assert entry["ivf-pq"]["payload_bytes_per_chunk"] < entry["ivf-sq8"]["payload_bytes_per_chunk"]
    shape = f["shape"]  # the largest size in the store's shape, lists at random
    assert shape["n"] == vectors[-1]["n"] and positive(shape["ms_k10"]["p50"])
    assert 384 < shape["file_bytes_per_chunk"] < 1536  # 8 bits a dimension: far below float32's 1,536 bytes
