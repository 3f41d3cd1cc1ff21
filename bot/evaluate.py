"""The metrics behind ``newsbot eval``, kept apart from the answer pipeline.

Usage::

    from bot.evaluate import evaluate, load_questions
    report = evaluate(service, load_questions(Path("dev-questions.jsonl")))
    print(report.table())

Two question formats are read, one per file, told apart by their fields:

- MultiHop-RAG (``answer_norm``, ``answer_kind``, ``evidence``). Retrieval metrics follow its
  ``retrieval_evaluate.py`` exactly: spaces and newlines are removed from gold facts and
  retrieved passages, a rank is a hit when some gold fact is a substring of that passage,
  and null questions are left out.
- Natural member questions (``kind``: short_text, yes_no, open, insufficient, with
  ``answer_any`` and ``quote_any``). A question counts as answered when the short answer
  (or verdict) is right *and* a shown quote holds the supporting sentence; see
  :func:`natural_outcome` for each kind. Wrong short answers or verdicts shown are counted
  apart, because a wrong answer in bold is worse than none.
"""

from __future__ import annotations

import json
import statistics
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from bot.engine.answer import Answer


@dataclass(frozen=True)
class EvalQuestion:
    id: str
    question: str
    answer_norm: str
    answer_kind: str          # yes_no, insufficient, short_text (and open, for natural questions)
    question_type: str
    facts: tuple[str, ...]
    # Natural-question fields: any one of answer_any must be in the answer, and any one of
    # quote_any in a shown quote. style is how the member wrote it (lowercase, typo, ...).
    answer_any: tuple[str, ...] = ()
    quote_any: tuple[str, ...] = ()
    style: str = ""
    natural: bool = False


@dataclass(frozen=True)
class NaturalOutcome:
    answered: bool
    wrong_shown: bool         # a short answer or verdict shown that is wrong
    support_first: bool
    support_top3: bool


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
    natural: NaturalOutcome | None = None
    style: str = ""


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
        natural = {"natural": self.natural_metrics()} if any(r.natural for r in self.results) else {}
        return {
            **natural,
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

    def natural_metrics(self) -> dict[str, float | int | dict]:
        """The member-question measures, overall, per kind and per style."""
        rows = [r for r in self.results if r.natural is not None]

        def block(rs: list[QuestionResult]) -> dict[str, float | int]:
            answerable = [r for r in rs if r.answer_kind != "insufficient"]
            nulls = [r for r in rs if r.answer_kind == "insufficient"]
            quoted = [r for r in answerable if r.answer_kind != "open"]
            return {
                "questions": len(rs),
                "answered": _share(r.natural.answered for r in rs),
                "wrong_shown": sum(r.natural.wrong_shown for r in rs),
                "false_abstention": _share(r.abstained for r in answerable),
                "support_first": _share(r.natural.support_first for r in quoted),
                "support_top3": _share(r.natural.support_top3 for r in quoted),
                "unanswerable_abstained": _share(r.abstained for r in nulls),
            }

        by_kind = {k: block([r for r in rows if r.answer_kind == k]) for k in sorted({r.answer_kind for r in rows})}
        by_style = {s: block([r for r in rows if r.style == s]) for s in sorted({r.style for r in rows})}
        return {**block(rows), "by_kind": by_kind, "by_style": by_style}

    def natural_table(self) -> str:
        m = self.natural_metrics()
        keys = ("questions", "answered", "wrong_shown", "false_abstention", "support_first", "support_top3",
                "unanswerable_abstained")
        groups = [("all", m)] + [(f"kind {k}", v) for k, v in m["by_kind"].items()] + \
                 [(f"style {k}", v) for k, v in m["by_style"].items()]
        lines = ["| group | " + " | ".join(keys) + " |", "|---" * (len(keys) + 1) + "|"]
        for name, values in groups:
            cells = [str(values[k]) if isinstance(values[k], int) else f"{values[k]:.3f}" for k in keys]
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
        latencies = sorted(r.seconds for r in self.results)
        lines.append(f"\nlatency p50 / p95: {percentile(latencies, 50) * 1000:.0f} ms / "
                     f"{percentile(latencies, 95) * 1000:.0f} ms")
        return "\n".join(lines)

    def table(self) -> str:
        if any(r.natural is not None for r in self.results):
            return self.natural_table()
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


def _share(flags: object) -> float:
    values = list(flags)  # type: ignore[call-overload]
    return sum(values) / len(values) if values else 0.0


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


def normalise(text: str) -> str:
    """Case, whitespace, dashes and curly quotes folded, as the graders of natural questions allow."""
    table = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-", "\u00a0": " "})
    return " ".join(text.translate(table).lower().split())


def natural_outcome(question: EvalQuestion, answer: Answer) -> NaturalOutcome:
    """Answered, per kind: short_text needs a right short answer and a supporting quote;
    yes_no the right verdict and a supporting quote; open the key words anywhere in the
    answer or its quotes; insufficient an abstention."""
    quotes = [normalise(q.text) for q in answer.quotes]
    wanted = [normalise(q) for q in question.quote_any]
    first = bool(quotes) and any(w in quotes[0] for w in wanted)
    top3 = any(w in q for q in quotes[:3] for w in wanted)
    quoted = any(w in q for q in quotes for w in wanted)
    keys = [normalise(a) for a in question.answer_any]
    short = normalise(answer.short_answer or "")
    shown = (answer.short_answer or answer.verdict) is not None and not answer.abstained
    kind = question.answer_kind
    if kind == "insufficient":
        return NaturalOutcome(answer.abstained, shown, False, False)
    if answer.abstained:
        return NaturalOutcome(False, False, False, False)
    if kind == "yes_no":
        right = answer.verdict == question.answer_norm
        wrong = (answer.verdict is not None and not right) or answer.short_answer is not None
        return NaturalOutcome(right and quoted, wrong, first, top3)
    if kind == "open":
        text = " ".join([normalise(answer.answer), *quotes])
        wrong = answer.verdict is not None or (bool(short) and not any(k in short for k in keys))
        return NaturalOutcome(any(k in text for k in keys), wrong, first, top3)
    right = bool(short) and any(k in short for k in keys)
    wrong = answer.verdict is not None or (bool(short) and not right)
    return NaturalOutcome(right and quoted, wrong, first, top3)


def natural_question(item: dict, number: int) -> EvalQuestion:
    return EvalQuestion(
        id=str(item.get("id", number)), question=item["question"], answer_norm=item.get("verdict") or "",
        answer_kind=item["kind"], question_type=item.get("answer_type") or item["kind"], facts=(),
        answer_any=tuple(item.get("answer_any", ())), quote_any=tuple(item.get("quote_any", ())),
        style=item.get("style", ""), natural=True)


def load_questions(path: Path) -> list[EvalQuestion]:
    questions = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        item = json.loads(line)
        try:
            if "kind" in item and "answer_norm" not in item:
                questions.append(natural_question(item, number))
                continue
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
        natural = natural_outcome(question, answer) if question.natural else None
        correct = natural.answered if natural else is_correct(question, answer)
        report.results.append(QuestionResult(
            question.id, question.question_type, question.answer_kind, correct,
            answer.abstained, seconds, retrieval, question.answer_norm, got, natural, question.style,
        ))
        if progress:
            progress(done, len(questions))
    return report
