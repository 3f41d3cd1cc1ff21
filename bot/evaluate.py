"""The metrics behind ``newsbot eval``, kept apart from the answer pipeline.

Usage::

    from bot.evaluate import evaluate, load_questions
    report = evaluate(service, load_questions(Path("dev-questions.jsonl")))
    print(report.table())

Retrieval metrics follow MultiHop-RAG's ``retrieval_evaluate.py`` exactly: spaces and
newlines are removed from gold facts and retrieved passages, a rank is a hit when some
gold fact is a substring of that passage, and null questions are left out.
"""

from __future__ import annotations

import json
import statistics
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from bot.answer import Answer


@dataclass(frozen=True)
class EvalQuestion:
    id: str
    question: str
    answer_norm: str
    answer_kind: str          # yes_no, insufficient, short_text
    question_type: str
    facts: tuple[str, ...]


@dataclass(frozen=True)
class RetrievalScore:
    hit4: bool
    hit10: bool
    reciprocal_rank: float
    facts_found: int
    facts_total: int


@dataclass
class QuestionResult:
    id: str
    question_type: str
    answer_kind: str
    correct: bool
    abstained: bool
    seconds: float
    retrieval: RetrievalScore | None
    expected: str
    got: str


@dataclass
class EvalReport:
    results: list[QuestionResult] = field(default_factory=list)

    def metrics(self) -> dict[str, float | int | dict]:
        scored = [r.retrieval for r in self.results if r.retrieval is not None]
        n = len(scored) or 1
        facts_total = sum(s.facts_total for s in scored) or 1
        answerable = [r for r in self.results if r.answer_kind != "insufficient"]
        nulls = [r for r in self.results if r.answer_kind == "insufficient"]
        abstained = [r for r in self.results if r.abstained]
        by_type: dict[str, list[bool]] = defaultdict(list)
        for r in self.results:
            by_type[r.question_type].append(r.correct)
        latencies = sorted(r.seconds for r in self.results)
        return {
            "questions": len(self.results),
            "hits@4": sum(s.hit4 for s in scored) / n,
            "hits@10": sum(s.hit10 for s in scored) / n,
            "mrr@10": sum(s.reciprocal_rank for s in scored) / n,
            "evidence_recall@10": sum(s.facts_found for s in scored) / facts_total,
            "all_evidence@10": sum(s.facts_found == s.facts_total for s in scored) / n,
            "accuracy": sum(r.correct for r in self.results) / (len(self.results) or 1),
            "accuracy_by_type": {t: sum(v) / len(v) for t, v in sorted(by_type.items())},
            "accuracy_by_kind": {
                kind: sum(r.correct for r in rs) / len(rs)
                for kind in ("yes_no", "short_text", "insufficient")
                if (rs := [r for r in self.results if r.answer_kind == kind])
            },
            "null_abstained": sum(r.abstained for r in nulls) / (len(nulls) or 1),
            "false_abstention": sum(r.abstained for r in answerable) / (len(answerable) or 1),
            "abstention_precision": sum(r.answer_kind == "insufficient" for r in abstained) / (len(abstained) or 1),
            "abstention_recall": sum(r.abstained for r in nulls) / (len(nulls) or 1),
            "latency_p50_ms": percentile(latencies, 50) * 1000,
            "latency_p95_ms": percentile(latencies, 95) * 1000,
        }

    def table(self) -> str:
        m = self.metrics()
        rows = [("questions", str(m["questions"]))]
        for key in ("hits@4", "hits@10", "mrr@10", "evidence_recall@10", "all_evidence@10", "accuracy"):
            rows.append((key, f"{m[key]:.3f}"))
        for key, value in m["accuracy_by_type"].items():
            rows.append((f"accuracy: {key}", f"{value:.3f}"))
        for key, value in m["accuracy_by_kind"].items():
            rows.append((f"accuracy: {key}", f"{value:.3f}"))
        for key in ("null_abstained", "false_abstention", "abstention_precision", "abstention_recall"):
            rows.append((key, f"{m[key]:.3f}"))
        rows.append(("latency p50 / p95", f"{m['latency_p50_ms']:.0f} ms / {m['latency_p95_ms']:.0f} ms"))
        width = max(len(k) for k, _ in rows)
        return "\n".join(["| measure | value |", "|---|---|"] + [f"| {k:<{width}} | {v} |" for k, v in rows])

    def to_dict(self) -> dict:
        return {"metrics": self.metrics(), "results": [asdict(r) for r in self.results]}


def percentile(sorted_values: Sequence[float], pct: float) -> float:
    if not sorted_values:
        return 0.0
    if len(sorted_values) == 1:
        return sorted_values[0]
    return statistics.quantiles(sorted_values, n=100, method="inclusive")[int(pct) - 1]


def squash(text: str) -> str:
    """The paper's normalisation: spaces and newlines removed, nothing else."""
    return text.replace(" ", "").replace("\n", "")


def score_retrieval(passages: Sequence[str], facts: Sequence[str]) -> RetrievalScore:
    gold = [squash(f) for f in facts]
    retrieved = [squash(p) for p in passages[:10]]
    first = next((rank for rank, text in enumerate(retrieved, start=1) if any(g in text for g in gold)), None)
    found = sum(1 for g in gold if any(g in text for text in retrieved))
    return RetrievalScore(
        hit4=first is not None and first <= 4,
        hit10=first is not None,
        reciprocal_rank=1 / first if first else 0.0,
        facts_found=found,
        facts_total=len(gold),
    )


def is_correct(question: EvalQuestion, answer: Answer) -> bool:
    if question.answer_kind == "insufficient":
        return answer.abstained
    if answer.abstained:
        return False
    if question.answer_kind == "yes_no":
        return (answer.verdict or "").lower() == question.answer_norm.lower()
    short = (answer.short_answer or "").lower()
    return bool(short) and all(word in short for word in question.answer_norm.lower().split())


def load_questions(path: Path) -> list[EvalQuestion]:
    questions = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        item = json.loads(line)
        try:
            questions.append(EvalQuestion(
                id=str(item.get("id", number)), question=item["question"], answer_norm=item["answer_norm"],
                answer_kind=item["answer_kind"], question_type=item.get("question_type", "unknown"),
                facts=tuple(e["fact"] for e in item.get("evidence", [])),
            ))
        except KeyError as exc:
            raise ValueError(f"{path}:{number}: missing field {exc}") from exc
    return questions


def evaluate(ask: Callable[[str], Answer], questions: Sequence[EvalQuestion],
             progress: Callable[[int, int], None] | None = None) -> EvalReport:
    report = EvalReport()
    for done, question in enumerate(questions, start=1):
        started = time.perf_counter()
        answer = ask(question.question)
        seconds = time.perf_counter() - started
        retrieval = None
        if question.answer_kind != "insufficient" and question.facts:
            retrieval = score_retrieval([p.text for p in answer.passages], question.facts)
        got = "abstained" if answer.abstained else (answer.verdict or answer.short_answer or "")
        report.results.append(QuestionResult(
            question.id, question.question_type, question.answer_kind, is_correct(question, answer),
            answer.abstained, seconds, retrieval, question.answer_norm, got,
        ))
        if progress:
            progress(done, len(questions))
    return report
