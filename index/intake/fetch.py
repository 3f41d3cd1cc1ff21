"""Fetching pages and feeds safely: timeouts, a size cap, a few redirects, the response's
charset, conditional requests (ETag / Last-Modified) and a clear user agent.

Usage::

    from index.intake.fetch import Fetcher, FetchPolicy, FetchError
    fetcher = Fetcher(FetchPolicy(allow_hosts=["127.0.0.1"], timeout=15, max_bytes=10 << 20))
    try:
        page = fetcher.fetch("https://example.org/news/1.html")
        print(page.final_url, page.content_type, page.text()[:80], page.etag)
        again = fetcher.fetch(page.final_url, etag=page.etag, last_modified=page.last_modified)
        assert again.not_modified or again.body
    except FetchError as exc:
        print("refused:", exc)           # one line, for the user

Safety (server-side request forgery): before every connection, the first and each
redirect's, the host is resolved and *every* address is checked; loopback, private,
link-local (cloud metadata included), shared, multicast and reserved addresses are
refused unless the host or the address is in ``allow_hosts``. The connection then goes
to the address that was checked (the host name stays in the Host header and in TLS), so
a second DNS answer cannot swap in another address. Proxies from the environment are
ignored for the same reason.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from urllib.parse import urljoin

import httpx

from index.intake.article import Article, ArticleFormatError
from index.intake.decode import decode_text
from index.intake.html_file import parse_html_article
from index.intake.limits import megabytes

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
#: ``resolver(host, port)`` → the addresses a connection to ``host`` could reach.
Resolver = Callable[[str, int], Sequence[str]]

MAX_REDIRECTS = 5
REDIRECT_STATUSES = (301, 302, 303, 307, 308)
HTML_TYPES = ("text/html", "application/xhtml+xml")
FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/feed+json", "application/xml",
              "text/xml", "application/rdf+xml", "application/json")
# Addresses that are "global" to Python yet must never be a target: well-known cloud
# metadata services outside the link-local range.
METADATA_ADDRESSES = frozenset({ipaddress.ip_address("100.100.100.200"), ipaddress.ip_address("fd00:ec2::254")})


def _package_version() -> str:
    try:
        return version("newsbot")
    except PackageNotFoundError:
        return "dev"


USER_AGENT = f"newsbot/{_package_version()} (news article indexer; python-httpx)"


class FetchError(Exception):
    """A fetch we refused or that failed; ``str(exc)`` is the one-line reason.
    ``retryable`` says whether trying again later may succeed (timeouts, 5xx, network)."""

    def __init__(self, reason: str, *, retryable: bool = False) -> None:
        super().__init__(reason)
        self.retryable = retryable


@dataclass(frozen=True)
class FetchPolicy:
    allow_hosts: Sequence[str] = ()
    timeout: float = 15.0
    max_bytes: int = 10 * 1024 * 1024
    max_redirects: int = MAX_REDIRECTS
    user_agent: str = USER_AGENT


@dataclass
class FetchResult:
    url: str                       # as asked
    final_url: str                 # after redirects
    status: int
    content_type: str = ""         # the media type, lower case, without parameters
    charset: str | None = None     # from the Content-Type header
    body: bytes = b""
    etag: str | None = None
    last_modified: str | None = None
    redirects: list[str] = field(default_factory=list)

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def is_html(self) -> bool:
        return self.content_type in HTML_TYPES

    @property
    def is_feed_type(self) -> bool:
        return self.content_type in FEED_TYPES or self.content_type.endswith(("+xml", "+json"))

    def text(self) -> str:
        """The body decoded by the header's charset, else an HTML ``<meta charset>``, else
        UTF-8 and then a detected encoding."""
        for charset in (self.charset, sniff_meta_charset(self.body) if self.is_html else None):
            if charset:
                try:
                    return self.body.decode(charset)
                except (LookupError, UnicodeDecodeError):
                    continue
        return decode_text(self.body)


_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{1,40})""", re.IGNORECASE)


def sniff_meta_charset(body: bytes) -> str | None:
    """The charset an HTML page declares in its first 4 KB, as browsers look for it."""
    match = _META_CHARSET.search(body[:4096])
    return match.group(1).decode("ascii") if match else None


# ----------------------------------------------------------------------------- addresses


def system_resolver(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchError(f"cannot resolve {host}: {exc}", retryable=True) from exc
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def refused_address(address: IPAddress) -> str | None:
    """Why ``address`` may not be fetched from, or None when it is a public address."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return refused_address(address.ipv4_mapped)
    if address in METADATA_ADDRESSES or str(address) == "169.254.169.254":
        return "a cloud metadata address"
    checks = ((address.is_loopback, "a loopback address"), (address.is_link_local, "a link-local address"),
              (address.is_multicast, "a multicast address"), (address.is_unspecified, "an unspecified address"),
              (address.is_reserved, "a reserved address"), (address.is_private, "a private address"))
    for test, what in checks:
        if test:
            return what
    if not address.is_global:
        return "a non-public address"
    return None


def _host_key(host: str) -> str:
    return host.strip().strip("[]").rstrip(".").lower()


class AddressPolicy:
    """The allow-list: host names, addresses, or networks (``"10.0.0.0/8"``)."""

    def __init__(self, allow_hosts: Sequence[str]) -> None:
        self.names: set[str] = set()
        self.networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        for entry in allow_hosts:
            key = _host_key(entry)
            try:
                self.networks.append(ipaddress.ip_network(key, strict=False))
            except ValueError:
                self.names.add(key)

    def allows_address(self, address: IPAddress) -> bool:
        return any(address in net for net in self.networks if net.version == address.version)

    def check(self, host: str, addresses: Sequence[str]) -> IPAddress:
        """The address to connect to, after every address of ``host`` passed; else FetchError."""
        if not addresses:
            raise FetchError(f"{host} has no address", retryable=True)
        named = _host_key(host) in self.names
        parsed = []
        for text in addresses:
            address = ipaddress.ip_address(text.split("%", 1)[0])  # drop an IPv6 zone id
            reason = refused_address(address)
            if reason and not (named or self.allows_address(address)):
                raise FetchError(f"refused: {host} resolves to {address}, {reason} "
                                 f"(allow it with NEWSBOT_FETCH_ALLOW_HOSTS)")
            parsed.append(address)
        return parsed[0]


def check_url(url: str) -> httpx.URL:
    """A fetchable URL: http or https with a host; else FetchError."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise FetchError(f"not a valid URL: {exc}") from exc
    if parsed.scheme not in ("http", "https"):
        raise FetchError(f"refused: only http:// and https:// URLs can be fetched, not {parsed.scheme or '(none)'}:")
    if not parsed.host:
        raise FetchError("not a valid URL: it has no host")
    if parsed.userinfo:
        raise FetchError("refused: URLs with a user name or password are not fetched")
    return parsed


# ----------------------------------------------------------------------------- the client


class Fetcher:
    """Blocking and thread-safe; one per service. ``resolver`` and ``transport`` are for
    tests (a resolver the test controls; the real network stays loopback-only there)."""

    def __init__(self, policy: FetchPolicy, *, resolver: Resolver = system_resolver,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.policy = policy
        self.resolver = resolver
        self.addresses = AddressPolicy(policy.allow_hosts)
        self._client = httpx.Client(transport=transport, trust_env=False, follow_redirects=False,
                                    headers={"User-Agent": policy.user_agent})

    def close(self) -> None:
        self._client.close()

    def pinned_target(self, url: httpx.URL) -> tuple[httpx.URL, str]:
        """The checked address to connect to (as a URL) and the Host header value."""
        port = url.port or (443 if url.scheme == "https" else 80)
        address = self.addresses.check(url.host, self.resolver(url.host, port))
        return url.copy_with(host=str(address)), url.netloc.decode("ascii")

    def fetch(self, url: str, *, etag: str | None = None, last_modified: str | None = None,
              accept: str = "*/*") -> FetchResult:
        deadline = time.monotonic() + self.policy.timeout
        current = check_url(url)
        redirects: list[str] = []
        headers = {"Accept": accept}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        while True:
            result = self._fetch_once(current, headers, deadline)
            if isinstance(result, FetchResult):
                result.url, result.redirects = url, redirects
                return result
            if len(redirects) >= self.policy.max_redirects:
                raise FetchError(f"too many redirects (more than {self.policy.max_redirects})")
            redirects.append(str(current))
            current = check_url(urljoin(str(current), result))

    def _fetch_once(self, url: httpx.URL, headers: dict[str, str], deadline: float) -> FetchResult | str:
        """One request: a FetchResult, or the Location of a redirect."""
        target, host = self.pinned_target(url)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise FetchError(f"timed out after {self.policy.timeout:g} s", retryable=True)
        extensions = {"sni_hostname": url.host} if url.scheme == "https" else {}
        try:
            with self._client.stream("GET", target, headers={**headers, "Host": host},
                                     timeout=httpx.Timeout(remaining), extensions=extensions) as response:
                if response.status_code in REDIRECT_STATUSES and response.headers.get("location"):
                    return response.headers["location"]
                if response.status_code == 304:
                    return self._result(url, response, b"")
                if response.status_code >= 400:
                    phrase = f" {response.reason_phrase}" if response.reason_phrase else ""
                    raise FetchError(f"the server answered HTTP {response.status_code}{phrase}",
                                     retryable=response.status_code >= 500 or response.status_code == 429)
                return self._result(url, response, self._read_body(response, deadline))
        except httpx.TimeoutException as exc:
            raise FetchError(f"timed out after {self.policy.timeout:g} s", retryable=True) from exc
        except httpx.HTTPError as exc:
            raise FetchError(f"could not fetch {url.host}: {type(exc).__name__}: {exc}", retryable=True) from exc

    def _read_body(self, response: httpx.Response, deadline: float) -> bytes:
        limit = self.policy.max_bytes
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise FetchError(f"too big: {megabytes(int(declared))}, over the {megabytes(limit)} limit")
        body = bytearray()
        for chunk in response.iter_bytes():
            body.extend(chunk)
            if len(body) > limit:
                raise FetchError(f"too big: over the {megabytes(limit)} limit")
            if time.monotonic() > deadline:  # a server that drips bytes never trips the read timeout
                raise FetchError(f"timed out after {self.policy.timeout:g} s", retryable=True)
        return bytes(body)

    @staticmethod
    def _result(url: httpx.URL, response: httpx.Response, body: bytes) -> FetchResult:
        media, _, params = response.headers.get("content-type", "").partition(";")
        charset = re.search(r"charset\s*=\s*\"?([^\";\s]+)", params, re.IGNORECASE)
        return FetchResult(url=str(url), final_url=str(url), status=response.status_code,
                           content_type=media.strip().lower(), charset=charset.group(1) if charset else None,
                           body=body, etag=response.headers.get("etag"),
                           last_modified=response.headers.get("last-modified"))


# ----------------------------------------------------------------------------- pages


def page_article(result: FetchResult, *, published_at: object = None) -> Article:
    """The article in a fetched page; FetchError with the reason when it is not one."""
    if result.is_feed_type:
        raise FetchError(f"this is a feed ({result.content_type}), not an article page: "
                         f"follow it with `newsbot feed add` or /feed add")
    if not result.is_html:
        raise FetchError(f"not a web page: the server sent {result.content_type or 'no content type'}")
    try:
        return parse_html_article(result.text(), result.url, page_url=result.final_url, published_at=published_at)
    except ArticleFormatError as exc:
        raise FetchError(str(exc)) from exc


def fetch_article(fetcher: Fetcher, url: str, *, published_at: object = None) -> Article:
    """Fetch ``url`` and extract its article; FetchError says why when it cannot."""
    result = fetcher.fetch(url, accept="text/html,application/xhtml+xml;q=0.9,*/*;q=0.1")
    return page_article(result, published_at=published_at)
