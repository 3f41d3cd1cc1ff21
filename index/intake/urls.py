"""Article URLs in one spelling, and the id an article fetched from a URL gets.

Usage::

    from index.intake.urls import canonical_url, url_article_id
    canonical_url("HTTPS://Example.org:443/a?utm_source=x#top")   # "https://example.org/a"
    url_article_id("https://example.org/a")                        # "u-..." (stable)
"""

from __future__ import annotations

import hashlib
import re

_TRACKING_PARAMS = re.compile(r"^(?:utm_[a-z]+|fbclid|gclid|mc_cid|mc_eid|ocid|cmpid)$", re.IGNORECASE)


def canonical_url(url: str, base: str | None = None) -> str | None:
    """``url`` (resolved against ``base``) in one spelling: scheme and host in lower
    case, no default port, no fragment, no tracking parameters (``utm_*``, ``fbclid``…).
    None unless it is an http(s) URL with a host."""
    from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

    try:
        parts = urlsplit(urljoin(base, url.strip()) if base else url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    scheme = parts.scheme.lower()
    host = parts.hostname.lower().rstrip(".")
    if ":" in host:
        host = f"[{host}]"
    if port is not None and port != {"http": 80, "https": 443}[scheme]:
        host = f"{host}:{port}"
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                       if not _TRACKING_PARAMS.match(k)])
    return urlunsplit((scheme, host, parts.path or "/", query, ""))


def page_canonical_url(declared: str | None, page_url: str) -> str:
    """The canonical URL a page declares, when it is on the page's own site; else the
    page's URL. A page may not claim another site's URL (and so its article id)."""
    page = canonical_url(page_url) or page_url
    claimed = canonical_url(declared, base=page_url) if declared else None
    if claimed is None:
        return page
    from urllib.parse import urlsplit

    def site(u: str) -> str:
        host = urlsplit(u).hostname or ""
        return host[4:] if host.startswith("www.") else host

    return claimed if site(claimed) == site(page) else page


def url_article_id(url: str) -> str:
    """The id of an article fetched from ``url`` (its canonical URL): fetching the page
    again finds the same article, so a changed page replaces its old version."""
    return "u-" + hashlib.sha256(url.encode("utf-8")).hexdigest()[:16]
