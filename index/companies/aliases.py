"""Aliases an article defines: "BAIC (Beijing Automotive Group Co)", "Jianghuai Automobile
Group (JAC)", "Meta (formerly Facebook)", "X, formerly known as Y" (rule 3 in
:mod:`index.companies.extractor`).

Usage::

    from index.companies.aliases import alias_pair
    for m in ALIAS_PAREN_RE.finditer(body):
        found = alias_pair(body, m, bool(m.group(2)), votes.cleaned, votes.labels_at, ents)
        if found:
            (canon_start, canon_end), (alias_start, alias_end), ner_tagged = found
"""

from __future__ import annotations

import re
from collections.abc import Callable

from index.companies.names import JOB_TITLES, VETO_LABELS
from index.companies.records import Ent, Span
from index.text import spacy_stop_words


def alias_pair(body: str, m: re.Match[str], formerly: bool, cleaned: Callable[[int, int], Span],
               labels_at: dict[Span, str], ents: list[Ent]) -> tuple[Span, Span, bool] | None:
    """((canonical start, end), (alias start, end), NER-tagged) for "LEFT (RIGHT)".

    "Meta (formerly Facebook)": the current name (left) is canonical. Otherwise one side
    is a single word ("BAIC (Beijing Automotive Group Co)", "Jianghuai Automobile Group
    (JAC)"), both must start with the same letter, and the canonical name is the one the
    article uses more often outside the definition (ties: the one outside the
    parentheses). Neither may be a place, nationality or date to NER."""
    ls, le = cleaned(m.start(1), m.end(1))
    rs, re_ = cleaned(m.start(3), m.end(3))
    if le <= ls or re_ <= rs:
        return None
    inside: Span = (rs, re_)
    if formerly:
        outside = _trim_left(body, (ls, le), labels_at, None)
    elif len(body[rs:re_].split()) == 1:  # "Jianghuai Automobile Group (JAC)"
        outside = _trim_left(body, (ls, le), labels_at, body[rs])
    else:  # "BAIC (Beijing Automotive Group Co)": the short form is the last word
        last = list(re.finditer(r"\S+", body[ls:le]))[-1]
        outside = (ls + last.start(), ls + last.end())
    if outside is None:
        return None
    out_text, in_text = body[outside[0]:outside[1]], body[rs:re_]
    if out_text == in_text or (
            not formerly and out_text[:1].casefold() != in_text[:1].casefold()):
        return None
    for (s, e), label in labels_at.items():
        if label in VETO_LABELS and any(s <= a and b <= e for a, b in (outside, inside)):
            return None
    if formerly and any(w.casefold() in JOB_TITLES for w in out_text.split()):
        return None  # "CTO Michael Greer, previously Discord"
    if formerly:
        canon, alias = outside, inside
    else:
        # canonical: the form the article goes on to use more ("Boston Scientific (BSX)"
        # then "Boston Scientific"; "Kestrel Aviation (KA)" then "KA"); ties: outside
        def uses(text: str) -> int:
            pattern = rf"(?<![\w&]){re.escape(text)}(?![\w&])"
            return sum(1 for u in re.finditer(pattern, body)
                       if not (m.start() <= u.start() < m.end()))
        canon, alias = ((inside, outside) if uses(in_text) > uses(out_text)
                        else (outside, inside))
    long_form = max((canon, alias), key=lambda span: len(body[span[0]:span[1]].split()))
    tagged = any(label == "ORG" and s < long_form[1] and long_form[0] < e
                 for s, e, label in ents)
    return canon, alias, tagged

def _trim_left(body: str, span: Span, labels_at: dict[Span, str], initial: str | None) -> Span | None:
    """The company name at the end of a capitalised run: the words an ORG span covers,
    else from the last word starting with ``initial`` (an acronym's first letter)."""
    s, e = span
    for (es, ee), label in labels_at.items():
        if label == "ORG" and s <= es < e <= ee:  # an ORG span ends at or after it
            return (es, e)
    words = [(w.start() + s, w.end() + s) for w in re.finditer(r"\S+", body[s:e])]
    if initial is None:
        while len(words) > 1 and body[slice(*words[0])].casefold() in spacy_stop_words():
            words = words[1:]
        return (words[0][0], e) if words else None
    for ws, _we in reversed(words):
        if body[ws].casefold() == initial.casefold():
            return (ws, e)
    return None
