"""News outlets, which are never companies: the known list, the short name of a source,
and the names an article gives or cites.

Usage::

    from index.companies.outlets import OutletNames, outlet_head
    outlet_head("Cnbc | World Business News Leader")     # "Cnbc"
    names = OutletNames(["TechCrunch"])
    names.match("techcrunch news")                       # "TechCrunch"
    names.finder.findall("Reuters and TechCrunch said")   # ["Reuters", "TechCrunch"]
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

from index.companies.names import company_key

# Well-known news outlets and agencies (a general list, not tied to any data set).
KNOWN_OUTLETS = (
    "Bloomberg", "Bloomberg News", "Reuters", "Associated Press", "AP", "AFP",
    "Agence France-Presse", "CNBC", "CNN", "BBC", "NPR", "PBS", "NBC News", "ABC News",
    "CBS News", "Fox News", "MSNBC", "Sky News", "Al Jazeera", "The New York Times",
    "New York Times", "NYT", "The Wall Street Journal", "Wall Street Journal", "WSJ",
    "The Washington Post", "Washington Post", "Financial Times", "FT", "The Guardian",
    "The Times", "The Telegraph", "The Independent", "The Economist", "Politico", "Axios",
    "Forbes", "Fortune", "Business Insider", "Insider", "TechCrunch", "The Verge", "Engadget",
    "Wired", "Ars Technica", "Mashable", "Gizmodo", "The Information", "Semafor", "Vox",
    "BuzzFeed News", "HuffPost", "USA Today", "Los Angeles Times", "Chicago Tribune",
    "Nikkei", "Nikkei Asia", "Xinhua", "Yonhap", "Kyodo", "Kyodo News", "South China Morning Post",
    "SCMP", "Caixin", "Global Times", "The Hindu", "Times of India", "Economic Times",
    "The Straits Times", "The Atlantic", "The New Yorker", "Variety", "Deadline",
    "The Hollywood Reporter", "Billboard", "Rolling Stone", "TMZ", "Yahoo News",
    "Yahoo Finance", "MarketWatch", "Barron's", "Seeking Alpha", "CNET", "ZDNet",
    "VentureBeat", "Quartz", "Daily Mail", "The Sun", "Le Monde", "Der Spiegel",
    "Handelsblatt", "Electrek", "CnEVPost", "Sky Sports", "ESPN", "The Athletic",
    "Entertainment Tonight",
)

# Outlet names that are also plain English words: cited only where NER tags them ORG.
AMBIGUOUS_OUTLETS = frozenset({
    "Fortune", "Variety", "Deadline", "Insider", "Wired", "Billboard", "Quartz", "Vox",
    "The Sun", "The Times", "The Information", "The Atlantic", "The Independent",
    "The Guardian", "The Hindu", "Mashable", "Politico", "Axios",
})


def outlet_head(source: str) -> str:
    """"Cnbc | World Business News Leader" -> "Cnbc"; "The Independent - Sports" -> "The
    Independent"; "Live Science: The Most ..." -> "Live Science"."""
    head = re.split(r"\s+[|\-–—:]\s+|:\s+|\s*\|\s*", source.strip(), maxsplit=1)[0]
    return head.strip()


_REPORT_WORDS = frozenset({"news", "report", "reports", "reporting", "analysis", "story", "article", "survey"})


@functools.lru_cache(maxsize=256)
def outlet_finder(known: tuple[str, ...], given: tuple[str, ...]) -> re.Pattern[str]:
    """A pattern for outlets named literally: the known ones (not those that are plain
    words, see :data:`AMBIGUOUS_OUTLETS`) and the article's own."""
    names = {n for n in known if n not in AMBIGUOUS_OUTLETS}
    names.update(n for n in given if n)
    alternation = "|".join(re.escape(n) for n in sorted(names, key=lambda n: (-len(n), n)))
    return re.compile(rf"(?<![\w&])(?:{alternation})(?![\w&])")


class OutletNames:
    """The outlets one article can name: the ones it comes from (``given``, its sources,
    "a, b" split) and every known one. ``keys``: company key -> display name."""

    def __init__(self, given: Iterable[str], known: tuple[str, ...] = KNOWN_OUTLETS) -> None:
        self.keys: dict[str, str] = {}
        self.given_display: list[str] = []
        for raw in given:
            for part in str(raw).split(","):
                head = outlet_head(part)
                if not head:
                    continue
                for variant in {part.strip(), head}:
                    self.keys.setdefault(company_key(variant), head)
                self.given_display.append(head)
        for name in known:
            self.keys.setdefault(company_key(name), name)
        self.finder = outlet_finder(known, tuple(self.given_display))

    def match(self, key: str) -> str | None:
        """The outlet a company key names, if any: "Bloomberg News", "the Bloomberg report"
        and "Reuters reporting" name the shortest outlet name they start with."""
        found = self.keys.get(key)
        words = key.split()
        while len(words) > 1 and words[-1] in _REPORT_WORDS:
            words = words[:-1]
            found = self.keys.get(" ".join(words), found)
        return found
