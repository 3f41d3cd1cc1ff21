"""What the extractor finds in one article: mentions with body offsets, the aliases the
article defines, same-sentence relations, and the outlets it cites.

Usage::

    from index.companies.records import EntityExtraction, Mention
    result = EntityExtraction(mentions=[Mention("baic", "BAIC", 0, 4)])
    result.companies()          # {"baic": "BAIC"}: key -> display name, in order of first mention
"""

from __future__ import annotations

from dataclasses import dataclass, field

Span = tuple[int, int]
Ent = tuple[int, int, str]  # a named-entity span: body start, body end, label


@dataclass(frozen=True)
class Mention:
    """One occurrence of a company in an article body."""

    key: str  # normalised key of the company (canonical within the article), e.g. "baic"
    name: str  # display name of the company, e.g. "BAIC"
    start: int  # body[start:end] is the surface text as it appears (possessive excluded)
    end: int


@dataclass(frozen=True)
class AliasDefinition:
    key: str  # the company
    name: str
    alias: str  # e.g. "Beijing Automotive Group" (corporate suffixes such as "Co" dropped)
    start: int  # offsets of the whole defining span, e.g. "BAIC (Beijing Automotive Group Co)"
    end: int


@dataclass(frozen=True)
class Relation:
    """Two different companies mentioned in one sentence (``a_key < b_key``)."""

    a_key: str
    b_key: str
    sentence_start: int
    sentence_end: int


@dataclass
class EntityExtraction:
    mentions: list[Mention] = field(default_factory=list)
    aliases: list[AliasDefinition] = field(default_factory=list)
    relations: list[Relation] = field(default_factory=list)
    outlets: list[str] = field(default_factory=list)  # the given outlets, then cited ones

    def companies(self) -> dict[str, str]:
        """key -> display name, in order of first mention."""
        out: dict[str, str] = {}
        for m in sorted(self.mentions, key=lambda m: m.start):
            out.setdefault(m.key, m.name)
        return out
