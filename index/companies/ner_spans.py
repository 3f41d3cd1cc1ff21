"""Which parts of an article NER reads (see "Speed" in :mod:`index.companies.extractor`):
windows around capitalised runs NER has not yet seen often enough, whole sentences that
look like alias definitions, and a second round for names whose labels disagree.

Usage::

    from index.companies.ner_spans import normalise_sentences, second_round, select_for_ner
    sentences = normalise_sentences(body, sentence_spans)
    first = select_for_ner(body, sentences, budget=2, context=6)     # [(start, end), ...]
    more = second_round(body, sentences, first, ents_found_in_first, budget=2, context=6)
"""

from __future__ import annotations

import bisect
import re
from collections import Counter, defaultdict
from collections.abc import Sequence

from index.companies.names import APOS, GEO_LABELS, clean_surface, company_key
from index.companies.patterns import CAP_RUN_RE, LOWER_WORD_RE, PAREN_HINT_RE, TOKEN_RE
from index.companies.records import Ent, Span
from index.text import spacy_stop_words


def normalise_sentences(body: str, sentences: Sequence[tuple[int, int]]) -> list[Span]:
    spans = sorted(
        (max(0, int(s)), min(len(body), int(e))) for s, e in sentences if int(e) > int(s)
    )
    if not spans and body.strip():
        spans = [(0, len(body))]
    return spans


def select_for_ner(body: str, sentences: list[Span], budget: int | None, context: int) -> list[Span]:
    """The spans to run NER on (see "Speed" in the module docstring): whole sentences
    that look like alias definitions; otherwise a window of ``context`` words
    either side of each capitalised run NER has not yet seen ``budget`` times."""
    if budget is None:
        return [(s, e) for s, e in sentences if body[s:e].strip()]
    per_sentence: list[list[tuple[int, int, str]]] = []
    mid_caps: set[str] = set()
    lower_words = set(LOWER_WORD_RE.findall(body))
    for s, e in sentences:
        first = s
        while first < e and not (body[first].isalnum()):
            first += 1
        runs: list[tuple[int, int, str]] = []
        for m in CAP_RUN_RE.finditer(body, s, e):
            words = m.group().split()
            if m.start() <= first:
                mid_caps.update(words[1:])
            else:
                mid_caps.update(words)
            runs.append((m.start(), m.end(), m.group()))
        per_sentence.append(runs)
    seen: Counter[str] = Counter()
    chosen: list[Span] = []
    for (s, e), runs in zip(sentences, per_sentence, strict=True):
        if not runs:
            continue
        if PAREN_HINT_RE.search(body, s, e):
            chosen.append((s, e))
            seen.update(_run_key(text) for _rs, _re, text in runs)
            continue
        first = s
        while first < e and not body[first].isalnum():
            first += 1
        needed: list[tuple[int, int, str]] = []
        for rs, re_, text in runs:
            if rs <= first:  # sentence-initial: is the first word a name or just capitalised?
                words = text.split()
                head = words[0]
                if head not in mid_caps and (
                    head.casefold() in spacy_stop_words() or head.casefold() in lower_words
                ):
                    if len(words) == 1:
                        continue
                    rs = rs + text.index(words[1], len(words[0]))
                    text = body[rs:re_]
            cand = _run_key(text)
            if seen[cand] < budget:
                needed.append((rs, re_, cand))
        if not needed:
            continue
        for ws, we in _windows(body, (s, e), [(rs, re_) for rs, re_, _c in needed], runs,
                               context):
            chosen.append((ws, we))
            seen.update(_run_key(t) for rs, re_, t in runs if ws <= rs and re_ <= we)
    return chosen


def second_round(body: str, sentences: list[Span], done: list[Span], ents: list[Ent],
                 budget: int | None, context: int) -> list[Span]:
    """More windows for names the first round labelled both ORG and something else
    (Netflix: GPE twice, ORG once): up to ``budget`` further occurrences each, so
    the vote in :mod:`index.companies.evidence` rests on more than a couple of samples."""
    if budget is None or not ents:
        return []
    labels: dict[str, Counter[str]] = defaultdict(Counter)
    forms: dict[str, set[str]] = defaultdict(set)
    for start, end, label in ents:
        ls, rs = clean_surface(body[start:end])
        surface = body[start + ls:end - rs]
        if surface:
            key = company_key(surface)
            labels[key][label] += 1
            forms[key].add(surface)
    conflicted = {
        key: forms[key] for key, c in labels.items()
        if c["ORG"] and sum(c[x] for x in ("PERSON", *GEO_LABELS))
    }
    if not conflicted:
        return []
    surface_key = {f: k for k, fs in conflicted.items() for f in fs}
    finder = re.compile(
        r"(?<![\w&])(?:" + "|".join(re.escape(f) for f in sorted(surface_key, key=len,
                                                                reverse=True)) + r")(?![\w&])"
    )
    done_sorted = sorted(done)
    done_starts = [s for s, _e in done_sorted]
    sentence_starts = [s for s, _e in sentences]
    extra: Counter[str] = Counter()
    targets: dict[Span, list[Span]] = defaultdict(list)
    for m in finder.finditer(body):
        key = surface_key[m.group()]
        if extra[key] >= budget:
            continue
        i = bisect.bisect_right(done_starts, m.start()) - 1
        if i >= 0 and done_sorted[i][1] >= m.end():
            continue  # NER has seen this occurrence
        j = bisect.bisect_right(sentence_starts, m.start()) - 1
        if j < 0 or sentences[j][1] < m.end():
            continue
        extra[key] += 1
        targets[sentences[j]].append((m.start(), m.end()))
    chosen: list[Span] = []
    for (s, e), spans in targets.items():
        runs = [(m.start(), m.end(), m.group()) for m in CAP_RUN_RE.finditer(body, s, e)]
        for ws, we in _windows(body, (s, e), spans, runs, context):
            # never feed NER the same text twice: trim against first-round spans
            i = bisect.bisect_right(done_starts, ws) - 1
            if i >= 0 and done_sorted[i][1] >= we:
                continue
            chosen.append((ws, we))
    return chosen


def _windows(body: str, sentence: tuple[int, int], targets: list[tuple[int, int]],
             runs: list[tuple[int, int, str]], context: int) -> list[tuple[int, int]]:
    """Merged spans of ``context`` words either side of each target inside the sentence,
    widened so no capitalised run is cut in two; the whole sentence if that covers most."""
    s, e = sentence
    tokens = [(m.start(), m.end()) for m in TOKEN_RE.finditer(body, s, e)]
    if not tokens:
        return []
    starts = [t[0] for t in tokens]
    windows: list[list[int]] = []
    for ts, te in sorted(targets):
        i = max(0, bisect.bisect_right(starts, ts) - 1 - context)
        j = min(len(tokens) - 1, max(0, bisect.bisect_left(starts, te) - 1) + context)
        ws, we = tokens[i][0], tokens[j][1]
        for other_s, other_e, _t in runs:
            if other_s < ws < other_e:
                ws = other_s
            if other_s < we < other_e:
                we = other_e
        if windows and ws <= windows[-1][1] + 1:
            windows[-1][1] = max(windows[-1][1], we)
        else:
            windows.append([ws, we])
    if sum(we - ws for ws, we in windows) >= 0.8 * (e - s):
        return [(s, e)]
    return [(ws, we) for ws, we in windows]


def _run_key(text: str) -> str:
    return re.sub(rf"[{APOS}]s?$", "", text)
