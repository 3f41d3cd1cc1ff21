"""Company names: the normalised key that joins spellings, the words and bodies that are
never companies, and the clean-up that turns an entity span into a name.

Usage::

    from index.companies.names import alias_text, company_key, is_generic, is_not_company
    company_key("the Xiaomi Group"), company_key("Xiaomi's")    # ("xiaomi", "xiaomi")
    alias_text("Beijing Automotive Group Co")                     # "Beijing Automotive Group"
    is_generic("ceo"), is_not_company("european commission")      # (True, True)
"""

from __future__ import annotations

import functools
import re
import unicodedata

from index.text import spacy_stop_words

# Trailing corporate-form words dropped from keys and alias text.
LEGAL_SUFFIXES = frozenset({
    "co", "company", "corp", "corporation", "inc", "incorporated", "ltd", "limited", "llc",
    "plc", "lp", "llp", "ag", "sa", "se", "nv", "bv", "gmbh", "pte", "pty", "kk", "spa",
    "ab", "asa", "oyj", "sarl", "srl", "bhd", "tbk",
})
# Further words dropped from keys only ("Alibaba Group" and "Alibaba" are one company).
KEY_ONLY_SUFFIXES = frozenset({"group", "holdings", "holding"})

# Tokens NER often tags ORG that are not companies (generic acronyms and words).
GENERIC_ORG_WORDS = frozenset({
    "ev", "evs", "ai", "ceo", "cfo", "coo", "cto", "cmo", "ipo", "gdp", "esg", "api", "apis",
    "suv", "suvs", "nft", "nfts", "r&d", "it", "tv", "pc", "pcs", "gpu", "gpus", "cpu", "app",
    "apps", "covid", "covid-19", "llc", "inc", "ltd", "corp", "co", "company", "group", "ev maker",
    "hq", "m&a", "b2b", "ui", "ux", "vr", "ar", "5g", "4g", "lte", "os", "faq", "q1", "q2",
    "q3", "q4", "ytd", "ip", "eps", "roi", "kpi", "ml", "llm", "llms", "ceos", "board", "news",
    "report", "breaking", "update", "updated", "exclusive", "source", "sources", "photo",
    "getty", "getty images", "read", "also read", "related", "advertisement", "mvp",
    "terms of service", "privacy policy", "usb", "usb-c", "hdmi", "oled", "lcd", "led", "ssd",
    "ram", "vpn", "saas", "iot", "dlc", "mmo", "rpg", "fps", "td", "tds", "qb", "rb", "wr", "te",
    "ppr", "var", "ko", "3d", "4k", "8k", "hd", "uhd", "hdr", "anc", "kyc", "aml",
})
# Job titles: a name next to one in "X, formerly Y" is a person's, not a renamed company's.
JOB_TITLES = frozenset({
    "ceo", "cto", "cfo", "coo", "cmo", "cio", "chief", "president", "chairman", "chairwoman", "chair",
    "founder", "co-founder", "executive", "director", "head", "vp", "svp", "evp", "manager", "partner",
    "analyst", "officer", "minister", "senator", "governor", "coach", "editor",
})
_WEEKDAYS_MONTHS = frozenset(
    "monday tuesday wednesday thursday friday saturday sunday january february march april "
    "may june july august september october november december".split()
)
# Public bodies and non-company organisations, by their last word or "<first> of ...".
_INSTITUTION_LAST = frozenset({
    "commission", "ministry", "department", "agency", "committee", "council", "court",
    "senate", "congress", "parliament", "party", "police", "army", "navy", "government",
    "administration", "bureau", "federation", "association", "league", "union", "university",
    "college", "school", "organization", "organisation", "authority", "assembly", "reserve",
    "tribunal", "cabinet", "embassy", "nations", "forces", "guard",
})
_INSTITUTION_FIRST = frozenset({
    "university", "ministry", "department", "bureau", "office", "court", "council",
    "commission", "institute", "college", "school", "board",
})
# Head words of laws, events, metrics and programmes that NER tags ORG.
_NOT_COMPANY_LAST = frozenset({
    "act", "regulation", "regulations", "directive", "law", "bill", "treaty", "agreement",
    "accord", "protocol", "index", "rate", "ratio", "score", "experience", "program",
    "programme", "initiative", "plan", "summit", "conference", "awards", "award", "cup",
    "championship", "trophy", "prize", "festival", "day", "week", "season", "policy",
})
# Governments and regulators that NER tags ORG (a general list).
GOVERNMENT_BODIES = frozenset({
    "eu", "un", "nato", "opec", "imf", "wto", "who", "ecb", "fed", "treasury", "pentagon",
    "kremlin", "white house", "house", "senate", "congress", "capitol hill", "sec", "ftc",
    "doj", "fbi", "cia", "nsa", "fda", "faa", "fcc", "epa", "irs", "cdc", "nih", "nasa", "dhs",
    "dod", "nhtsa", "cftc", "finra", "nhs", "federal reserve", "supreme court", "downing street",
    "whitehall", "brussels", "beijing", "washington", "parliament", "state council", "miit",
    "ndrc", "cac", "cma", "ofcom", "ofgem", "gchq", "interpol", "europol",
})
# NER labels that speak against "company" for a name.
_NUMBERISH_RE = re.compile(r"\b(?:\d+(?:st|nd|rd|th)|million|billion|trillion|thousand)\b")
GEO_LABELS = frozenset({"GPE", "LOC", "NORP"})
VETO_LABELS = frozenset({
    "GPE", "LOC", "NORP", "DATE", "TIME", "MONEY", "PERCENT", "QUANTITY", "CARDINAL",
    "ORDINAL", "LANGUAGE", "LAW", "EVENT",
})
CUE_VETO_LABELS = VETO_LABELS - {"NORP"}


APOS = "'’‘`"


def clean_surface(text: str, strip_stop: bool = False) -> tuple[int, int]:
    """(lstrip, rstrip) character counts that turn an entity span into a name span:
    leading bullets/punctuation and "the", a possessive and anything after it, anything
    from an opening parenthesis on, trailing punctuation. ``strip_stop`` also drops leading
    capitalised stop words, for names a regex found ("A Velora spokesperson")."""
    s, e = 0, len(text)
    while s < e and not (text[s].isalnum() or text[s] in "&"):
        s += 1
    # leading "the" and other all-lowercase words ("fifth Chiefs", "rival Xpeng")
    while (m := re.match(r"[a-z][a-z\-]*\s+", text[s:e])) and s + m.end() < e:
        s += m.end()
    m = re.match(r"(?:the|The|THE)\s+", text[s:e])
    if m and s + m.end() < e:
        s += m.end()
    while strip_stop and (m := re.match(r"(\w+)\s+", text[s:e])) and (
            m.group(1).casefold() in spacy_stop_words() and s + m.end() < e):
        s += m.end()
    paren = text.find("(", s, e)
    if paren != -1:
        e = paren
    poss = re.search(rf"[{APOS}]s\b|(?<=s)[{APOS}](?!\w)", text[s:e])
    if poss:
        e = s + poss.start()
    while e > s and not (text[e - 1].isalnum() or text[e - 1] in "&"):
        e -= 1
    return s, len(text) - e


def _strip_legal(words: list[str], extra: frozenset[str] = frozenset()) -> list[str]:
    words = list(words)
    while len(words) > 1:
        last = words[-1].strip(".,").casefold()
        if last in LEGAL_SUFFIXES or last in extra or last in {"&", "and"}:
            words.pop()
            continue
        break
    while len(words) > 1 and words[-1].strip(".,").casefold() in {"&", "and"}:
        words.pop()
    return words


_APOS_TABLE = str.maketrans({ch: "'" for ch in APOS})
_LEAD_JUNK_RE = re.compile(r"^[^\w&]+")
_POSSESSIVE_END_RE = re.compile(r"'s$|(?<=s)'$", re.IGNORECASE)
_TRAIL_JUNK_RE = re.compile(r"[^\w&.]+$")


def _base_words(name: str) -> list[str]:
    text = unicodedata.normalize("NFKC", name).translate(_APOS_TABLE).strip()
    text = _LEAD_JUNK_RE.sub("", text)
    text = _POSSESSIVE_END_RE.sub("", text)
    text = _TRAIL_JUNK_RE.sub("", text)
    words = text.split()
    if len(words) > 1 and words[0].casefold() == "the":
        words = words[1:]
    return words


@functools.lru_cache(maxsize=65536)
def company_key(name: str) -> str:
    """Normalised key: case-folded, NFKC, curly apostrophes unified, possessive and leading
    "the" dropped, trailing corporate forms (Co, Inc, Ltd, Corp, Group, Holdings, ...)
    dropped. "Xiaomi's", "Xiaomi Corp." and "the Xiaomi Group" all give "xiaomi"."""
    words = _strip_legal(_base_words(name), KEY_ONLY_SUFFIXES)
    key = " ".join(w.casefold() for w in words).strip(" .,")
    return key or " ".join(name.casefold().split())


@functools.lru_cache(maxsize=65536)
def alias_text(name: str) -> str:
    """The alias as stored: possessive, "the" and legal forms dropped, "Group" kept."""
    return " ".join(_strip_legal(_base_words(name))).strip(" .,")


def is_generic(key: str) -> bool:
    if not key or key in GENERIC_ORG_WORDS or key in _WEEKDAYS_MONTHS:
        return True
    if _NUMBERISH_RE.search(key):
        return True
    words = key.split()
    if len(words) == 1 and (key in spacy_stop_words() or not any(c.isalpha() for c in key)):
        return True
    if words[0] in spacy_stop_words() and words[0] not in {"&"}:
        return True
    return len(key) < 2


def is_not_company(key: str) -> bool:
    """Public bodies, laws, events and the like, by their head word or a list."""
    if key in GOVERNMENT_BODIES:
        return True
    words = key.split()
    if words[-1] in _INSTITUTION_LAST or (len(words) > 1 and words[-1] in _NOT_COMPANY_LAST):
        return True
    return len(words) > 2 and words[0] in _INSTITUTION_FIRST and words[1] == "of"
