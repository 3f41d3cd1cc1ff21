"""From the vote to the article's companies: aliases folded into their canonical key, every
occurrence of an accepted name as a mention, one display name per company, and the
same-sentence relations (rule 5 in :mod:`index.companies.extractor`).

Usage::

    from index.companies.mentions import resolve
    result = resolve(votes, votes.read_aliases(), sentences)   # votes: a read ArticleEvidence
    result.mentions, result.aliases, result.relations, result.outlets
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterator

from index.companies.evidence import ArticleEvidence, PendingAlias, outlet_list
from index.companies.names import APOS, alias_text, company_key
from index.companies.patterns import CAP_RUN_RE, NAME_START_RE
from index.companies.records import AliasDefinition, EntityExtraction, Mention, Relation, Span

_RawMention = tuple[str, int, int]  # canonical key, start, end


class AliasFolding:
    """Alias key -> canonical key within one article (one level is enough; chains are
    followed). Accepting either name of a definition accepts both."""

    def __init__(self, pending: list[PendingAlias], accepted: set[str]) -> None:
        self.canon_of: dict[str, str] = {}
        self.aliases: list[AliasDefinition] = []
        for canon_key, alias_key, alias, s, e in pending:
            if canon_key not in accepted and alias_key not in accepted:
                continue
            accepted.update({canon_key, alias_key})
            root = canon_key
            while root in self.canon_of:
                root = self.canon_of[root]
            if alias_key != root:
                self.canon_of[alias_key] = root
            self.aliases.append(AliasDefinition(key=root, name="", alias=alias, start=s, end=e))

    def root_of(self, key: str) -> str:
        seen: set[str] = set()
        while key in self.canon_of and key not in seen:
            seen.add(key)
            key = self.canon_of[key]
        return key


def surface_forms(votes: ArticleEvidence, accepted: set[str]) -> dict[str, str | None]:
    """Every written form to look for -> its company key, or None for an outlet's name
    (outlet names block overlapping company names)."""
    body, surfaces = votes.body, votes.surfaces
    forms: dict[str, str | None] = {}
    for key in accepted:
        for surface in surfaces[key]:
            forms[surface] = key
            stripped = alias_text(surface)
            if stripped and stripped != surface and company_key(stripped) == key:
                forms.setdefault(stripped, key)
    # other spellings of an accepted company: "Xiaomi Corp" once "Xiaomi" is accepted
    for m in CAP_RUN_RE.finditer(body):
        s, e = votes.cleaned(m.start(), m.end())
        surface = body[s:e]
        if e > s and surface not in forms:
            key = company_key(surface)
            if key in accepted and NAME_START_RE.match(surface):
                forms[surface] = key
    for surface in votes.outlet_surfaces:
        forms[surface] = None
    for display in votes.cited.values():
        forms.setdefault(display, None)
    return forms


def find_mentions(body: str, forms: dict[str, str | None], folding: AliasFolding) -> list[_RawMention]:
    """Every occurrence of a form, longest first, as (canonical key, start, end)."""
    if not forms:
        return []
    alternation = "|".join(re.escape(f) for f in sorted(forms, key=lambda f: (-len(f), f)))
    finder = re.compile(rf"(?<![\w&])(?:{alternation})(?![\w&]|[{APOS}][a-rt-z])")
    found: list[_RawMention] = []
    for m in finder.finditer(body):
        key = forms[m.group()]
        if key is not None:
            found.append((folding.root_of(key), m.start(), m.end()))
    return found


def display_names(body: str, found: list[_RawMention], aliases: list[AliasDefinition],
                  surfaces: dict[str, Counter[str]]) -> dict[str, str]:
    """Display name per canonical key: its most frequent surface (ties: first seen)."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    first_seen: dict[str, dict[str, int]] = defaultdict(dict)
    for key, s, e in found:
        surface = body[s:e]
        if company_key(surface) == key:
            counts[key][surface] += 1
            first_seen[key].setdefault(surface, s)
    display: dict[str, str] = {}
    for key, _s, _e in found:
        if key in display:
            continue
        options = counts.get(key)
        if options:
            display[key] = max(options, key=lambda f: (options[f], -first_seen[key][f]))
        else:
            display[key] = next(iter(surfaces[key]), key)
    for alias_def in aliases:
        if alias_def.key not in display:
            display[alias_def.key] = next(iter(surfaces[alias_def.key]), alias_def.key)
    return display


def per_sentence(mentions: list[Mention], sentences: list[Span]) -> Iterator[list[Mention]]:
    """The mentions wholly inside each sentence, in order (``mentions`` sorted by start)."""
    i = 0
    for s, e in sentences:
        while i < len(mentions) and mentions[i].start < s:
            i += 1
        inside: list[Mention] = []
        j = i
        while j < len(mentions) and mentions[j].start < e:
            if mentions[j].end <= e:
                inside.append(mentions[j])
            j += 1
        yield inside


def sentence_relations(mentions: list[Mention], sentences: list[Span]) -> list[Relation]:
    """Every pair of different companies mentioned in one sentence."""
    relations: list[Relation] = []
    ordered = sorted(mentions, key=lambda m: m.start)
    for (s, e), inside in zip(sentences, per_sentence(ordered, sentences), strict=True):
        keys = list(dict.fromkeys(m.key for m in inside))
        for x in range(len(keys)):
            for y in range(x + 1, len(keys)):
                a, b = sorted((keys[x], keys[y]))
                relations.append(Relation(a, b, s, e))
    return relations


def resolve(votes: ArticleEvidence, pending: list[PendingAlias], sentences: list[Span]) -> EntityExtraction:
    """The article's extraction from its read vote and the alias definitions it backs:
    accepts, folds aliases, finds mentions, names and relates them."""
    accepted = votes.accepted()
    folding = AliasFolding(pending, accepted)
    found = find_mentions(votes.body, surface_forms(votes, accepted), folding)
    display = display_names(votes.body, found, folding.aliases, votes.surfaces)
    mentions = [Mention(key=k, name=display[k], start=s, end=e) for k, s, e in found]
    aliases = [AliasDefinition(key=a.key, name=display[a.key], alias=a.alias, start=a.start, end=a.end)
               for a in folding.aliases]
    return EntityExtraction(mentions=mentions, aliases=aliases,
                            relations=sentence_relations(mentions, sentences), outlets=outlet_list(votes))
