"""Sentence flags: what a sentence is (a fact-like sentence, a question, boilerplate) and
what it has (figures, dates, relation words, quotation marks), one bit each.

Usage::

    from index.companies.flags import BOILER, NUMERIC, sentence_flags
    flags = sentence_flags("Xiaomi sold 10,000 cars in March.")
    bool(flags & NUMERIC), bool(flags & BOILER)      # (True, False)
"""

from __future__ import annotations

import re

TERMINAL = 1     # ends like a sentence (not a headline, bullet or caption)
QUESTION = 2
NUMERIC = 4      # has a figure
TEMPORAL = 8     # has a date or time expression
BOILER = 16      # "Also Read", "Sign up", links: never a fact
CUE = 32         # relation words ("partnering with", "acquire", "joint venture")
SPEECH = 64      # has quotation marks

_RELATION_CUE_RE = re.compile(
    r"\b(?:partner\w*|joint[ -]venture|join\w*\s+forces|team\w*\s+up|tie-up|tie\s+up|allian\w+|"
    r"collaborat\w+|deal|deals|agreement|acquir\w+|acquisition|merg\w+|buy\w*|bought|stake|"
    r"invest\w*|back\w*|owned|owner|owns|subsidiar\w+|unit\s+of|parent|suppl\w+|rival\w*|"
    r"compet\w+|sue[ds]?|suing|lawsuit|licens\w+|contract\w*|spin\w*[ -]off|spun\s+off|"
    r"takeover|bid|customer|client|cooperat\w+|production|produce\w*|manufactur\w+)\b",
    re.IGNORECASE,
)
_NUMERIC_RE = re.compile(r"\d")
_TEMPORAL_RE = re.compile(
    r"\b(?:(?:19|20)\d\d|January|February|March|April|May|June|July|August|September|October|"
    r"November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|Monday|Tuesday|"
    r"Wednesday|Thursday|Friday|Saturday|Sunday|yesterday|today|tomorrow|(?:this|last|next)\s+"
    r"(?:year|month|week|quarter)|quarter|earlier\s+this|later\s+this)\b"
)
BOILER_RE = re.compile(
    r"(?:^(?:also\s+read|read\s+more|read\s+also|related\s*:|click|tap|subscribe|sign\s+up|"
    r"follow\s+us|advertisement|image\s*:|photo\s*:|getty|watch\s*:|listen\s*:|share\s+this|"
    r"table\s+of\s+contents)|also\s+read|https?://|www\.|©|\bcopyright\b|newsletter|"
    r"\bcookies?\b|affiliate\s+link|\bpromo\s+code)",
    re.IGNORECASE,
)
_TERMINAL_RE = re.compile(r"[.!?…][\"”’')\]]*$|[\"”’][.!?]?$")


def sentence_flags(text: str) -> int:
    flags = 0
    stripped = text.rstrip()
    if _TERMINAL_RE.search(stripped):
        flags |= TERMINAL
    if stripped.rstrip("\"”’')]").endswith("?"):
        flags |= QUESTION
    if _NUMERIC_RE.search(text):
        flags |= NUMERIC
    if _TEMPORAL_RE.search(text):
        flags |= TEMPORAL
    if BOILER_RE.search(text):
        flags |= BOILER
    if _RELATION_CUE_RE.search(text):
        flags |= CUE
    if any(ch in text for ch in "\"“”"):
        flags |= SPEECH
    return flags
