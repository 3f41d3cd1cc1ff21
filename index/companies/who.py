"""Descriptions of companies found in the text at ingest ("Chinese electronics
manufacturer Xiaomi", "Xiaomi, the smartphone maker", "Beijing Hyundai is a joint venture
between ..."), for the ``company_who`` table.

Usage::

    from index.companies.who import find_who
    for key, start, end, kind, descriptor in find_who(body, sentence_spans, mentions):
        print(kind, descriptor)          # "pre", "chinese electronics manufacturer"
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence

from index.companies.flags import BOILER_RE
from index.companies.records import Mention
from index.text import spacy_stop_words

# Nouns that say what a company is: "Chinese electronics manufacturer Xiaomi".
ROLE_NOUNS = (
    "maker|makers|carmaker|automaker|chipmaker|manufacturer|giant|company|firm|startup|"
    "start-up|conglomerate|retailer|supplier|brand|developer|publisher|studio|provider|"
    "platform|operator|lender|bank|insurer|airline|subsidiary|producer|network|venture|"
    "marketplace|exchange|distributor|label|chain|outfit|business|group|automaker|"
    "powerhouse|behemoth|titan|player|specialist|vendor|designer|broadcaster|streamer|"
    "service|app|unit|division|arm|leader"
)
ROLE_RE = re.compile(rf"^(?:{ROLE_NOUNS})$", re.IGNORECASE)
# Role nouns specific enough to describe a company without a modifier ("carmaker Hyundai").
SPECIFIC_ROLES = frozenset({
    "carmaker", "automaker", "chipmaker", "retailer", "conglomerate", "airline", "insurer",
    "lender", "publisher", "streamer", "broadcaster", "startup", "start-up",
})
WORD_RE = re.compile(r"\S+")
DESCRIPTOR_WORD_RE = re.compile(r"^[A-Za-z][\w\-&.]*(?:['’]s)?$|^\d[\w\-.,]*$")


_STOPPERS = frozenset(
    "of over in on for with that which who whose behind by from to at as and or but is was are were has "
    "have had said says will would may might can could known based founded focused used when where while "
    "after before since against than like into under about between through".split()
)
_KEEP_AFTER_HEAD = frozenset("of behind for based known focused founded specializing whose with".split())
_DANGLING = frozenset("that which who whose and or".split())


def _np_head(tokens: list[str]) -> int | None:
    """Index of the role noun heading a noun phrase ("the Chinese smartphone maker", "a
    joint venture"), or None when a preposition, verb or comma comes first ("the landmark
    antitrust trial over Google's search business")."""
    for i, raw in enumerate(tokens):
        token = raw.strip("“”\"'’‘()")
        word = token.rstrip(",;:.").casefold()
        if ROLE_RE.match(word):
            if i + 1 < len(tokens) and not token.endswith((",", ";", ":", ".")) and \
                    ROLE_RE.match(tokens[i + 1].strip("“”\"'’‘(),;:.").casefold()):
                continue  # "holding company": the head is the last role noun
            return i
        if word in _STOPPERS or token.endswith((",", ";", ":", ".")):
            return None
    return None


def _described(tokens: list[str], head: int) -> bool:
    """A description needs a modifier ("Chinese electronics manufacturer") or a complement
    ("the manufacturer of Ozempic") unless its role noun says enough ("carmaker")."""
    modifiers = [t for t in tokens[:head] if t.casefold() not in {"a", "an", "the", "one"}]
    complement = head + 1 < len(tokens) and tokens[head + 1].casefold() in _KEEP_AFTER_HEAD - {"with"}
    return bool(modifiers) or complement or tokens[head].strip(",;:.").casefold() in SPECIFIC_ROLES


_APPOSITIVE_RE = re.compile(
    r"(?:['’]s?)?,\s+((?:a|an|the|one\s+of\s+the|(?:[A-Z][\w\-]*\s+)?[A-Z][\w\-]*['’]s)\s+"
    r"[^,;:()\"“”]{3,100}?)(?=,|;|\.(?:\s|$)|$|\s+(?:said|says|has|have|is|was|will|announced|reported)\b)"
)


_Found = tuple[int, int, str]  # start, end, descriptor


def find_who(body: str, spans: list[tuple[int, int]], mentions: Sequence[Mention]) -> list[tuple]:
    """Descriptions of companies in the text, as (key, start, end, kind, descriptor):

    - ``pre``: "Chinese electronics manufacturer Xiaomi" (modifiers and a role noun before
      the name);
    - ``post``: "Novo Nordisk, the manufacturer of Ozempic and Wegovy" (an appositive whose
      head is a role noun);
    - ``is``: "Beijing Hyundai is a joint venture between Hyundai and BAIC ..." (a copula
      and a role noun, from the name to the end of the sentence)."""
    out: list[tuple] = []
    starts = [s for s, _e in spans]
    mention_spans = [(m.start, m.end) for m in mentions]
    seen: set[tuple[str, str]] = set()
    for m in mentions:
        k = bisect.bisect_right(starts, m.start) - 1
        if k < 0 or spans[k][1] < m.end:
            continue
        s, e = spans[k]
        if BOILER_RE.search(body[s:e]):
            continue
        found = (("pre", _pre_descriptor(body, s, m, mention_spans)), ("post", _post_descriptor(body, e, m)),
                 ("is", _copula_descriptor(body, s, e, m)))
        for kind, hit in found:
            if hit is None:
                continue
            start, end, descriptor = hit
            descriptor = " ".join(descriptor.casefold().split())
            if (m.key, descriptor) not in seen:
                seen.add((m.key, descriptor))
                out.append((m.key, start, end, kind, descriptor))
    return out


def _pre_descriptor(body: str, s: int, m: Mention, mention_spans: list[tuple[int, int]]) -> _Found | None:
    """Words before the name, the last one a role noun."""
    before = body[s:m.start]
    words = list(WORD_RE.finditer(before))
    if not words or not before.endswith(" ") or before.endswith("  "):
        return None
    last = words[-1].group()
    if not ROLE_RE.match(last) or last.lower() in {"company", "firm", "group", "business", "unit"}:
        return None
    i = len(words) - 1
    while i > 0 and len(words) - i < 6:
        w = words[i - 1].group()
        if not DESCRIPTOR_WORD_RE.match(w) or w.casefold() in spacy_stop_words():
            break
        ws = s + words[i - 1].start()
        if any(ms <= ws < me for ms, me in mention_spans):
            break  # another company's name: "Tesla rival Xpeng" is about Tesla too
        i -= 1
    if len(words) - 1 - i >= 1 or last.lower() in SPECIFIC_ROLES:
        return s + words[i].start(), m.end, " ".join(w.group() for w in words[i:])
    return None


def _post_descriptor(body: str, e: int, m: Mention) -> _Found | None:
    """An appositive after the name whose head is a role noun."""
    post = _APPOSITIVE_RE.match(body[m.end:e])
    if not post:
        return None
    tokens = post.group(1).split()
    head = _np_head(tokens)
    if head is None or not _described(tokens, head) or len(tokens) > 16:
        return None
    stop = head + 1
    if stop < len(tokens) and tokens[stop].casefold() in _KEEP_AFTER_HEAD:
        stop = len(tokens)
        while stop > head + 1 and tokens[stop - 1].casefold() in _DANGLING:
            stop -= 1
    phrase = post.group(1)
    cut = [w.end() for w in WORD_RE.finditer(phrase)][stop - 1]
    end = m.end + post.start(1) + len(phrase[:cut].rstrip(",;:."))
    return m.start, end, " ".join(tokens[:stop])


def _copula_descriptor(body: str, s: int, e: int, m: Mention) -> _Found | None:
    """"X is a ...": a copula right after a name that opens the sentence (or a clause)."""
    after = body[m.end:e]
    copula = re.match(r"\s+(?:is|was)\s+(?:(?:a|an|the)\s+|one\s+of\s+the\s+)", after)
    prefix = body[s:m.start].strip()
    if not copula or (prefix and not prefix.endswith(",")) or m.start - s >= 60:
        return None
    rest = after[copula.end():].split()
    head = _np_head(rest[:10])
    if head is not None and _described(rest, head) and len(rest) <= 40:
        return m.start, e, " ".join(rest[:head + 1])
    return None
