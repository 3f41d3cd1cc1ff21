"""Every company in the knowledge base, read from the company tables: aliases folded in
across articles, outlets left out; cached per knowledge-base state. Behind ``newsbot
companies`` and the name matching of ``newsbot company NAME``.

Usage::

    from index.companies.directory import company_directory
    with kb.reader() as snap:
        directory = company_directory(snap)              # cached per knowledge-base state
        directory.companies["baic"].aliases              # ["Beijing Automotive Group"]
        directory.lookup("beijing automotive")           # the BAIC entry

Across articles, aliases join companies: the key "beijing automotive" folds into "baic"
everywhere once one article defines it, and spellings that differ only in spaces or
hyphens ("Open AI", "OpenAI") are one company (:func:`alias_groups`).
"""

from __future__ import annotations

import functools
import re
import threading
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from index.companies.names import company_key
from index.companies.outlets import outlet_head
from index.companies.tables import TableSnapshot, marks


@dataclass
class CompanyEntry:
    key: str                       # the group's representative key
    name: str
    keys: tuple[str, ...]          # every key folded into it (aliases defined somewhere)
    aliases: list[str]
    mentions: int
    articles: int
    last_seen: str | None


@dataclass
class CompanyDirectory:
    companies: dict[str, CompanyEntry]        # representative key -> entry
    group_of: dict[str, str]                  # any key -> representative key
    outlet_keys: frozenset[str]               # keys that are news outlets here
    missing: int                              # articles the extractor has not seen

    def lookup(self, key: str) -> CompanyEntry | None:
        rep = self.group_of.get(key)
        return self.companies.get(rep) if rep is not None else None

    @functools.cached_property
    def labels(self) -> dict[str, tuple[str, ...]]:
        """Every name, alias and key, case-folded -> the companies it names (for matching)."""
        out: dict[str, set[str]] = defaultdict(set)
        for rep, entry in self.companies.items():
            for label in (entry.name, *entry.aliases, *entry.keys):
                out[" ".join(label.casefold().split())].add(rep)
        return {label: tuple(sorted(reps)) for label, reps in out.items()}


_CACHE: dict[tuple, CompanyDirectory] = {}
_CACHE_LOCK = threading.Lock()


def state_token(snap: TableSnapshot) -> tuple:
    """Changes whenever articles or company rows change: the store's generation counter and
    epoch, and this index's own sequence."""
    files = tuple(row[2] for row in snap.query("PRAGMA database_list"))  # copies of one data dir differ
    meta = dict(snap.query("SELECT key, value FROM meta WHERE key IN ('epoch', 'generation')"))
    seq = snap.query("SELECT coalesce(max(seq), 0), count(*) FROM company_indexed")[0]
    return (files, meta.get("epoch"), meta.get("generation"), *seq)


def company_directory(snap: TableSnapshot) -> CompanyDirectory:
    """Every company in the knowledge base, with aliases folded in and outlets left out;
    cached per knowledge-base state (a few ms to rebuild for 600 articles)."""
    token = state_token(snap)
    with _CACHE_LOCK:
        hit = _CACHE.get(token)
    if hit is not None:
        return hit
    directory = _build_directory(snap)
    with _CACHE_LOCK:
        if len(_CACHE) > 8:
            _CACHE.clear()
        _CACHE[token] = directory
    return directory


def outlet_keys(snap: TableSnapshot) -> frozenset[str]:
    """Keys that name news outlets here: every article's source, and names cited as outlets
    more often than they are named as companies."""
    keys: set[str] = set()
    for (source,) in snap.query("SELECT DISTINCT source FROM company_indexed"):
        for part in str(source).split(","):
            part = part.strip()
            if part:
                keys.add(company_key(part))
                keys.add(company_key(outlet_head(part) or part))
    cited = dict(snap.query("SELECT key, count(DISTINCT article_id) FROM company_outlets GROUP BY key"))
    if cited:
        marks = ",".join("?" * len(cited))
        as_company = dict(snap.query(
            f"SELECT key, count(*) FROM company_articles WHERE key IN ({marks}) GROUP BY key", list(cited)))
        keys.update(k for k, n in cited.items() if n >= as_company.get(k, 0))
    return frozenset(keys)


def alias_groups(snap: TableSnapshot, stats: dict[str, tuple[int, int]]) -> dict[str, str]:
    """key -> representative key, joining each alias with its company (union-find); the
    representative is the member found in most articles (then most mentions)."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        root = x
        while parent.get(root, root) != root:
            root = parent[root]
        while parent.get(x, x) != root:
            parent[x], x = root, parent[x]
        return root

    pairs = list(snap.query("SELECT DISTINCT key, alias_key FROM company_aliases"))
    # spellings that differ only in spaces and hyphens are one company: "Open AI", "OpenAI"
    compact: dict[str, list[str]] = defaultdict(list)
    for key in stats:
        compact[re.sub(r"[\s\-]+", "", key)].append(key)
    pairs += [(keys[0], other) for keys in compact.values() if len(keys) > 1 for other in keys[1:]]
    for key, alias_key in pairs:
        if key == alias_key:
            continue
        a, b = find(key), find(alias_key)
        if a != b:
            parent[b] = a
    members: dict[str, list[str]] = defaultdict(list)
    for key in list(parent):
        members[find(key)].append(key)
    out: dict[str, str] = {}
    for root, keys in members.items():
        keys = sorted(set([root, *keys]))
        rep = max(keys, key=lambda k: (*stats.get(k, (0, 0)), -len(k), k))
        for k in keys:
            out[k] = rep
    return out


@dataclass
class _Groups:
    """Per company (alias group root): its keys and how its names are used."""

    keys_of: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    name_articles: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    name_mentions: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    mentions: Counter[str] = field(default_factory=Counter)
    prose: Counter[str] = field(default_factory=Counter)
    last: dict[str, str] = field(default_factory=dict)
    alias_texts: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))


def _build_directory(snap: TableSnapshot) -> CompanyDirectory:
    # one row per (key, name): the aggregation runs in SQLite, on this module's tables only
    rows = snap.query(
        "SELECT ca.key, ca.name, count(*), sum(ca.mentions), max(ci.published_at), sum(ca.prose) "
        "FROM company_articles ca JOIN company_indexed ci ON ci.article_id = ca.article_id GROUP BY ca.key, ca.name")
    stats: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for key, _name, n_articles, n_mentions, _last, _prose in rows:
        stats[key][0] += n_articles
        stats[key][1] += n_mentions
    roots = alias_groups(snap, {k: (v[0], v[1]) for k, v in stats.items()})
    outlets = outlet_keys(snap)
    groups = _Groups()
    for key, name, n_articles, n_mentions, published, n_prose in rows:
        if key in outlets:
            continue
        root = roots.get(key, key)
        groups.prose[root] += n_prose
        groups.keys_of[root].add(key)
        groups.name_articles[root][name] += n_articles
        groups.name_mentions[root][name] += n_mentions
        groups.mentions[root] += n_mentions
        if published and (root not in groups.last or published > groups.last[root]):
            groups.last[root] = published
    articles = _article_counts(snap, groups.keys_of, stats, roots)
    for key, alias, alias_key in snap.query("SELECT key, alias, alias_key FROM company_aliases"):
        root = roots.get(key, key)
        groups.alias_texts[root][alias] += 1
        if root in groups.keys_of and alias_key not in outlets:
            groups.keys_of[root].add(alias_key)  # "jianghuai automobile" names JAC though no mention has that key
    companies: dict[str, CompanyEntry] = {}
    group_of: dict[str, str] = {}
    for root, keys in groups.keys_of.items():
        if not groups.prose[root]:
            continue  # named only in headings, lists or newsletter boxes ("Sleepers | Busts")
        entry = _entry(root, keys, groups, articles[root])
        companies[entry.key] = entry
        for k in keys:
            group_of[k] = entry.key
    indexed = snap.query("SELECT count(*) FROM company_indexed")[0][0]
    total = snap.query("SELECT count(*) FROM articles")[0][0]
    return CompanyDirectory(companies, group_of, outlets, max(0, int(total) - int(indexed)))


def _article_counts(snap: TableSnapshot, keys_of: dict[str, set[str]], stats: dict[str, list[int]],
                    roots: dict[str, str]) -> Counter[str]:
    """Articles per company: summed per key, except where one company has several keys (an
    article may use two of them), which are counted exactly."""
    articles: Counter[str] = Counter()
    for root, keys in keys_of.items():
        if len(keys) == 1:
            articles[root] = stats[next(iter(keys))][0]
    merged = [root for root, keys in keys_of.items() if len(keys) > 1]
    if merged:
        key_list = [k for root in merged for k in keys_of[root]]
        found: dict[str, set[str]] = defaultdict(set)
        for key, aid in snap.query(f"SELECT key, article_id FROM company_articles WHERE key IN ({marks(key_list)})",
                                   key_list):
            found[roots.get(key, key)].add(aid)
        for root in merged:
            articles[root] = len(found[root])
    return articles


def _entry(root: str, keys: set[str], groups: _Groups, articles: int) -> CompanyEntry:
    """The company's entry: the name most articles use, then a word over a ticker ("Velora
    Motors", not "VLM"); its aliases, the defined ones first."""
    by_articles, by_mentions = groups.name_articles[root], groups.name_mentions[root]
    name = max(by_articles, key=lambda n: (by_articles[n], not n.isupper(), by_mentions[n], -len(n), n))
    rep = company_key(name) if company_key(name) in keys else root
    aliases: list[str] = []
    seen = {company_key(name), name.casefold()}
    for alias, _n in groups.alias_texts[root].most_common():
        if alias.casefold() not in seen:
            seen.add(alias.casefold())
            aliases.append(alias)
    for other, _n in by_mentions.most_common():
        if company_key(other) != company_key(name) and other.casefold() not in seen:
            seen.add(other.casefold())
            aliases.append(other)
    return CompanyEntry(rep, name, tuple(sorted(keys)), aliases, groups.mentions[root], articles,
                        groups.last.get(root))
