"""The metric definitions of `newsbot eval`, on small hand-made cases."""

from __future__ import annotations

import pytest

from bot.engine.answer import Answer
from bot.evaluate import EvalQuestion, EvalReport, QuestionResult, is_correct, score_retrieval


def test_hits_and_rank_follow_the_papers_substring_rule() -> None:
    facts = ["The cat sat\non the mat.", "Dogs bark loudly."]
    passages = ["nothing here", "still nothing", "a b c", "x", "Then:  The cat sat on the mat. And more."]
    score = score_retrieval(passages, facts)
    assert (score.hit4, score.hit10) == (False, True)  # rank 5: spaces and newlines are ignored
    assert score.reciprocal_rank == pytest.approx(1 / 5)
    assert (score.facts_found, score.facts_total) == (1, 2)


def test_only_the_top_ten_passages_count() -> None:
    score = score_retrieval(["filler"] * 10 + ["the fact"], ["the fact"])
    assert not score.hit10 and score.reciprocal_rank == 0 and score.facts_found == 0


def test_all_evidence_needs_every_fact_and_recall_counts_facts() -> None:
    results = [
        QuestionResult("1", "t", "yes_no", True, False, 0.01, score_retrieval(["A. B."], ["A.", "B."]), "Yes", "yes"),
        QuestionResult("2", "t", "yes_no", False, False, 0.02, score_retrieval(["A."], ["A.", "C."]), "Yes", ""),
        QuestionResult("3", "null_query", "insufficient", True, True, 0.03, None, "Insufficient", "abstained"),
    ]
    metrics = EvalReport(results).metrics()
    assert metrics["evidence_recall@10"] == pytest.approx(3 / 4)
    assert metrics["all_evidence@10"] == pytest.approx(1 / 2)
    assert metrics["hits@4"] == 1.0  # the null question is left out of retrieval metrics
    assert metrics["accuracy"] == pytest.approx(2 / 3)
    assert metrics["null_abstained"] == 1.0 and metrics["false_abstention"] == 0.0
    assert metrics["abstention_precision"] == 1.0


def question(kind: str, norm: str) -> EvalQuestion:
    return EvalQuestion("q", "?", norm, kind, "t", ())


def test_correctness_per_answer_kind() -> None:
    assert is_correct(question("yes_no", "No"), Answer("?", "", verdict="no"))
    assert not is_correct(question("yes_no", "No"), Answer("?", "", verdict=None))
    assert is_correct(question("insufficient", "Insufficient information"), Answer("?", "", abstained=True))
    assert is_correct(question("short_text", "Sam Bankman-Fried"), Answer("?", "", short_answer="sam bankman-fried"))
    assert not is_correct(question("short_text", "Sam Bankman-Fried"), Answer("?", "", short_answer="Bankman-Fried"))
    assert not is_correct(question("short_text", "Google"), Answer("?", "", short_answer="Google", abstained=True))
