"""The vote over one article: what NER, cue words and alias definitions say about each
capitalised name, and which names that makes companies (rules 1-4 in
:mod:`index.companies.extractor`).

Usage::

    from index.companies.evidence import ArticleEvidence
    votes = ArticleEvidence(body, ents, OutletNames(article.outlets))
    votes.read_ner()
    votes.read_cues()
    votes.read_outlet_cues()
    pending = votes.read_aliases()       # alias definitions the evidence backs
    accepted = votes.accepted()          # {"baic", "xiaomi", ...}
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass

from index.companies.aliases import alias_pair
from index.companies.names import (
    CUE_VETO_LABELS,
    GEO_LABELS,
    VETO_LABELS,
    alias_text,
    clean_surface,
    company_key,
    is_generic,
    is_not_company,
)
from index.companies.outlets import OutletNames
from index.companies.patterns import (
    ALIAS_COMMA_RE,
    ALIAS_PAREN_RE,
    JV_SECOND_RE,
    JV_SUBJECT_RE,
    NAME_START_RE,
    NORP_POST_CUE_RE,
    ORG_JOINER_RE,
    OUTLET_CUE_RE,
    POSSESSIVE_INNER_RE,
    POST_CUE_RE,
    PRE_CUE_RE,
    WEAK_PRE_CUE_RE,
)
from index.companies.records import Ent, Span

# An alias definition the evidence backs: canonical key, alias key, alias text, start, end.
PendingAlias = tuple[str, str, str, int, int]


@dataclass
class Evidence:
    """Votes for one normalised key across the article."""

    org: int = 0
    cue: int = 0
    alias: int = 0
    geo: int = 0
    person: int = 0


class ArticleEvidence:
    """The working state of one article's vote. ``surfaces``: key -> the cleaned surface
    forms registered for it; ``outlet_surfaces``: surface -> outlet display name;
    ``cited``: outlet key -> display, in order of citation."""

    def __init__(self, body: str, ents: list[Ent], outlets: OutletNames) -> None:
        self.body = body
        self.ents = ents
        self.outlets = outlets
        self.evidence: dict[str, Evidence] = defaultdict(Evidence)
        self.surfaces: dict[str, Counter[str]] = defaultdict(Counter)
        self.outlet_surfaces: dict[str, str] = {}
        self.cited: dict[str, str] = {}
        self.labels_at: dict[Span, str] = {}
        self.surnames: set[str] = set()  # last words of people's full names
        # Outlets named literally (NER may call "Reuters" a person); blocks them as companies.
        for m in outlets.finder.finditer(body):
            self.note_outlet(m.group(), outlets.match(company_key(m.group())) or m.group())

    # ------------------------------------------------------------------ registering names

    def note_outlet(self, surface: str, display: str) -> None:
        self.outlet_surfaces[surface] = display
        self.cited.setdefault(company_key(display), display)

    def add(self, surface: str) -> str | None:
        """Register a cleaned surface form; its key, or None if it is no company."""
        if not NAME_START_RE.match(surface):
            return None  # company names are capitalised ("eBay" style aside)
        key = company_key(surface)
        outlet = self.outlets.match(key)
        if outlet is not None:
            self.note_outlet(surface, outlet)
            return None
        if is_generic(key) or is_not_company(key):
            return None
        self.surfaces[key][surface] += 1
        return key

    def cleaned(self, start: int, end: int, strip_stop: bool = True) -> tuple[int, int]:
        ls, rs = clean_surface(self.body[start:end], strip_stop)
        return start + ls, end - rs

    def _add_org(self, s: int, e: int, label: str) -> None:
        key = self.add(self.body[s:e]) if e > s else None
        if key:
            self.labels_at[(s, e)] = label
            self.evidence[key].org += 1

    # ------------------------------------------------------------------ 1. NER

    def read_ner(self) -> None:
        """ORG spans count for a name (split where NER ran names together, and the name
        after a possessive too); places, nationalities and people count against it."""
        body = self.body
        for start, end, label in self.ents:
            s, e = self.cleaned(start, end, False)
            if e <= s:
                continue
            self.labels_at[(s, e)] = label
            if label == "ORG" and ORG_JOINER_RE.search(body, s, e):
                # "Best Buy and Walmart", "Spears on Instagram": NER ran names together
                joins = list(ORG_JOINER_RE.finditer(body, s, e))
                starts = [s] + [j.end() for j in joins]
                ends = [j.start() for j in joins] + [e]
                for ps, pe in zip(starts, ends, strict=True):
                    self._add_org(*self.cleaned(ps, pe, False), label)
            elif label == "ORG":
                key = self.add(body[s:e])
                if key:
                    self.evidence[key].org += 1
                # "Alphabet's Waymo": the name after the possessive is an ORG too
                tail = POSSESSIVE_INNER_RE.search(body, e, end)
                if tail and tail.start() == e:
                    self._add_org(*self.cleaned(tail.end(), end, False), label)
            else:
                self._read_non_org(company_key(body[s:e]), label)

    def _read_non_org(self, key: str, label: str) -> None:
        if label in GEO_LABELS:
            self.evidence[key].geo += 1
        elif label == "PERSON":
            self.evidence[key].person += 1
            words = key.split()
            if len(words) > 1:  # "Sam Bankman-Fried": a lone "Bankman-Fried" is him
                self.evidence[words[-1]].person += 1
                self.surnames.add(words[-1])

    # ------------------------------------------------------------------ 2. cue words

    def vetoed(self, s: int, e: int, labels: frozenset[str]) -> bool:
        return any(
            label in labels and es <= s and e <= ee
            for (es, ee), label in self.labels_at.items() if es < e and s < ee
        )

    def cue_hit(self, gs: int, ge: int, weak: bool = False, norp: bool = False) -> None:
        # NER calls companies NORP too often ("Velora spokesperson") for NORP to veto
        # a cue, except after words also said of nationalities ("Chinese shares").
        s, e = self.cleaned(gs, ge)
        if e <= s or self.vetoed(s, e, VETO_LABELS if norp else CUE_VETO_LABELS):
            return
        if weak:
            ev = self.evidence.get(company_key(self.body[s:e]))
            if self.labels_at.get((s, e)) == "PERSON" or (ev is not None and ev.person):
                return
        key = self.add(self.body[s:e])
        if key:
            self.evidence[key].cue += 1

    def read_cues(self) -> None:
        for pattern in (PRE_CUE_RE, POST_CUE_RE, JV_SECOND_RE, JV_SUBJECT_RE):
            for m in pattern.finditer(self.body):
                self.cue_hit(m.start(1), m.end(1))
        for m in WEAK_PRE_CUE_RE.finditer(self.body):
            self.cue_hit(m.start(1), m.end(1), weak=True)
        for m in NORP_POST_CUE_RE.finditer(self.body):
            self.cue_hit(m.start(1), m.end(1), norp=True)

    def read_outlet_cues(self) -> None:
        """Outlets cited with an outlet cue ("told CNBC", "a Bloomberg reporter"): names NER
        calls ORG and no company cue supports."""
        for m in OUTLET_CUE_RE.finditer(self.body):
            group = 1 if m.group(1) else 2
            s, e = self.cleaned(m.start(group), m.end(group))
            key = company_key(self.body[s:e])
            ev = self.evidence.get(key)
            if e > s and ev is not None and ev.org > 0 and ev.cue == 0 and ev.org > ev.person:
                self.note_outlet(self.body[s:e], self.body[s:e])
                self.surfaces.pop(key, None)

    # ------------------------------------------------------------------ 3. aliases

    def read_aliases(self) -> list[PendingAlias]:
        """Alias definitions ("BAIC (Beijing Automotive Group Co)", "X, formerly Y") that
        the evidence backs; each counts as alias evidence for both names."""
        body = self.body
        pending: list[PendingAlias] = []
        for m, formerly in [(m, bool(m.group(2))) for m in ALIAS_PAREN_RE.finditer(body)] + [
            (m, True) for m in ALIAS_COMMA_RE.finditer(body)
        ]:
            found = alias_pair(body, m, formerly, self.cleaned, self.labels_at, self.ents)
            if found is None:
                continue
            (cs, ce), (as_, ae), tagged = found
            canon_key = self.add(body[cs:ce])
            alias_key = self.add(body[as_:ae])
            if not canon_key or not alias_key or canon_key == alias_key:
                continue
            if not tagged and not self._alias_backed(canon_key, alias_key, formerly):
                continue
            self.evidence[canon_key].alias += 1
            self.evidence[alias_key].alias += 1
            pending.append((canon_key, alias_key, alias_text(body[as_:ae]), min(cs, as_), m.end()))
        return pending

    def _alias_backed(self, canon_key: str, alias_key: str, formerly: bool) -> bool:
        # Unless NER calls the long form an ORG ("Expected Points Added (EPA)" is no
        # company), a cue word must back one of the names; a rename may also rest on ORG.
        ev = self.evidence
        return any(
            ev[k].cue or (formerly and ev[k].org > max(ev[k].person, ev[k].geo))
            for k in (canon_key, alias_key)
        )

    # ------------------------------------------------------------------ 4. accept

    def accepted(self) -> set[str]:
        """Keys with any ORG tag, cue or alias, unless place or nationality tags outnumber
        that evidence, or (without cue or alias) the name is a person's."""
        accepted: set[str] = set()
        for key, ev in self.evidence.items():
            if key not in self.surfaces:
                continue
            strong = ev.cue + ev.alias
            if ev.org + strong == 0:
                continue
            if ev.geo > ev.org + strong:
                continue
            if strong == 0 and (ev.person > ev.org or key in self.surnames):
                # NER calls a surname ORG often ("Bankman-Fried" 26 times against "Sam
                # Bankman-Fried" once); without a cue or alias it is the person's
                continue
            accepted.add(key)
        return accepted


def outlet_list(evidence: ArticleEvidence) -> list[str]:
    """The given outlets, then the cited ones, each once ("X" and "X News" are one)."""
    outlets: list[str] = []
    seen: set[str] = set()
    for name in [*evidence.outlets.given_display, *evidence.cited.values()]:
        k = re.sub(r"\s+news$", "", company_key(name))
        if k not in seen:
            seen.add(k)
            outlets.append(name)
    return outlets
