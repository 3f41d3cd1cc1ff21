"""The one home of the text tools every matcher shares: the stop words and the stemmer.

Usage::

    from index.text import STOP_WORDS, stem
    [w for w in "the company said it dropped prices".split() if w not in STOP_WORDS]
    # ['company', 'dropped', 'prices']
    stem("dropped"), stem("companies"), stem("prices") == stem("price")   # ('drop', 'compani', True)

    spacy_stop_words() >= {"however", "meanwhile", "please"}   # spaCy's list, for names

Two lists, each for one job:

- ``STOP_WORDS``: what carries no topic in a question or a sentence. The answer engine
  and question analysis were tuned with it: English function words plus the words of
  news reporting ("said", "reported", "according", "source") that match every article.
- :func:`spacy_stop_words`: spaCy's English list, which company extraction uses to tell a
  capitalised word that only opens a sentence ("However", "Meanwhile", "Please",
  "Together") from a name. It is imported on first use, at ingest, where spaCy's NER is
  loaded anyway: importing it costs about 3 s, which commands that only read the company
  tables never pay. (With ``STOP_WORDS`` instead, extraction on the 609-article
  MultiHop-RAG corpus finds 59 names it did not find before, mostly such words: "Please",
  "Together", "Keep", "Never", "Former FTX"; and loses 9, one article's "OpenAI" among them.)
"""

from __future__ import annotations

from functools import cache, lru_cache

# Function words carry no topic; dropping them keeps BM25 OR-queries sharp and cheap.
STOP_WORDS = frozenset((
    "a about above after again against all also am an and any are aren't as at be because been before being "
    "below between both but by can can't could couldn't did didn't do does doesn't doing don't down during "
    "each either few for from further had hadn't has hasn't have haven't having he her here hers herself him "
    "himself his how i if in into is isn't it it's its itself just let's may me might more most must my "
    "myself neither no nor not of off on once only or other ought our ours ourselves out over own per same "
    "shall she should shouldn't so some such than that that's the their theirs them themselves then there "
    "these they this those through to too under until up upon us very was wasn't we were weren't what "
    "what's when where which while who whom whose why will with within without won't would wouldn't yet you "
    "your yours yourself yourselves according article articles report reports reported reporting published "
    "news source sources say says said tell told regarding based"
).split())

_SUFFIXES = ("ational", "ization", "fulness", "iveness", "ations", "ation", "ships", "ship", "ments", "ment", "ness",
             "ings", "ing",
             "edly", "ies", "ied", "ed", "es", "ly", "s")


def _tidy(root: str) -> str:
    if len(root) >= 4 and root[-1] == root[-2] and root[-1] not in "lsz":
        root = root[:-1]  # "dropped" → "dropp" → "drop"
    if len(root) >= 4 and root.endswith("e"):
        root = root[:-1]  # "make" and "making" → "mak"
    if len(root) >= 4 and root.endswith("y") and root[-2] not in "aeiou":
        root = root[:-1] + "i"  # "company" and "companies" → "compani"
    return root


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A light English stemmer, the one every matcher here uses: "dropped", "drops" and
    "dropping" → "drop"; "companies" and "company" → "compani"; "made" stays."""
    word = word.lower().replace("’", "'").removesuffix("'s")
    if len(word) <= 3 or not word.isalpha():
        return word
    for suffix in _SUFFIXES:
        if suffix == "s" and word.endswith("ss"):
            break  # "loss" is not a plural: it stems as "losses" does
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            root = word[: -len(suffix)]
            if suffix in ("ies", "ied"):
                root += "y"
            if suffix == "es" and not root.endswith(("s", "x", "z", "ch", "sh")):
                root += "e"  # "prices" → "price", but "taxes" → "tax"
            return _tidy(root)
    return _tidy(word)


@cache
def spacy_stop_words() -> frozenset[str]:
    """spaCy's English stop words (imported on first use; see the module docstring)."""
    from spacy.lang.en.stop_words import STOP_WORDS as SPACY_STOP_WORDS

    return frozenset(SPACY_STOP_WORDS)
