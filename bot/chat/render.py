"""Answers, company summaries and article lists as Discord embeds, always within Discord's
limits.

Usage::

    from bot.chat.render import answer_embed, limit_problems
    embed = answer_embed(answer)                   # verdict first, quotes [1], [2], sources
    assert limit_problems(None, [embed]) == []     # what Discord would refuse

Rules kept here, so that the bot layer never has to think about them:

- every text is cut to its limit at a sentence boundary (else between words) with "…";
  the first quote of an answer is never dropped, only shortened when it must be;
- quoted text is markdown-escaped, which adds backslashes that Discord hides, so the
  words people read are exactly the article's words;
- one answer is one embed: title ≤ 256, description ≤ 4096, field values ≤ 1024,
  footer ≤ 2048 and all of it ≤ 6000 characters (the limits of the whole message).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import discord

from bot.engine.answer import Answer, Quote
from bot.engine.companies import CompanySummary, SourceArticle
from bot.render import display_date

ELLIPSIS = "…"


@dataclass(frozen=True)
class Limits:
    """Discord's message limits (https://discord.com/developers/docs/resources/message)."""

    content: int = 2000
    embeds: int = 10
    title: int = 256
    description: int = 4096
    fields: int = 25
    field_name: int = 256
    field_value: int = 1024
    footer: int = 2048
    author: int = 256
    total: int = 6000


LIMITS = Limits()

COLOUR_YES = discord.Colour.green()
COLOUR_NO = discord.Colour.red()
COLOUR_INFO = discord.Colour.blurple()
COLOUR_QUIET = discord.Colour.light_grey()
COLOUR_WARN = discord.Colour.orange()

# ----------------------------------------------------------------------------- text helpers

# A sentence ends at . ! ? or … (plus closing quotes/brackets) before whitespace, or at a
# line break.
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*(?=\s)|\n")


def clip(text: str, limit: int, ellipsis: str = ELLIPSIS) -> str:
    """``text`` if it fits in ``limit`` characters, else cut at the last sentence boundary
    (or, when a sentence is longer than the room, between words) and marked with "…"."""
    if len(text) <= limit:
        return text
    if limit <= len(ellipsis) + 1:
        return ellipsis[:limit]
    room = limit - len(ellipsis) - 1  # leaves space for " …"
    ends = [m.end() for m in _SENTENCE_END.finditer(text, 0, room + 1) if m.end() <= room]
    ends = [e for e in ends if text[:e].strip()]
    if ends and ends[-1] >= room * 0.4:
        return text[: ends[-1]].rstrip() + " " + ellipsis
    room = limit - len(ellipsis)
    space = max(text.rfind(" ", 0, room + 1), text.rfind("\n", 0, room + 1))
    cut = space if space >= room * 0.5 else room  # one long word: cut inside it
    return text[:cut].rstrip() + ellipsis


def escape(text: str) -> str:
    """Markdown-escape ``text`` for an embed, leaving links intact (``discord.utils.escape_markdown``),
    and ``<`` too, so ``<@123>`` or ``<#1>`` in an article shows as written instead of as a
    mention. Only backslashes are added, and Discord hides them, so the visible words do not change."""
    return discord.utils.escape_markdown(text).replace("<", "\\<")


def fit(text: str, limit: int, render: Callable[[str], str] = escape) -> str:
    """``render(clip(text, n))`` for the largest n whose result fits in ``limit``:
    escaping and decoration are counted against the limit too."""
    out = render(text)
    if len(out) <= limit:
        return out
    # Escaping can double a text, so search for the longest cut that fits.
    best, low, high = render(""), 1, min(len(text), limit)
    while low <= high:
        middle = (low + high) // 2
        out = render(clip(text, middle))
        if len(out) <= limit:
            best, low = out, middle + 1
        else:
            high = middle - 1
    return best if len(best) <= limit else best[:limit]


def safe_url(url: str | None) -> str | None:
    """A URL usable in a masked link, or None (not http(s), spaces, or too long)."""
    if not url or not re.fullmatch(r"https?://\S+", url) or len(url) > 512:
        return None
    return url.replace("(", "%28").replace(")", "%29")


def link(title: str, url: str | None) -> str:
    """``[title](url)`` when the URL is usable; the escaped title otherwise."""
    target = safe_url(url)
    text = escape(title) or "untitled"
    return f"[{text}]({target})" if target else text


def join_lines(lines: Sequence[str], limit: int, more: Callable[[int], str] | None = None) -> str:
    """As many whole lines as fit in ``limit``, then "…and N more" for the rest."""
    more = more or (lambda n: f"{ELLIPSIS}and {n} more")
    for keep in range(len(lines), 0, -1):
        text = "\n".join(lines[:keep])
        if keep < len(lines):
            text += "\n" + more(len(lines) - keep)
        if len(text) <= limit:
            return text
    return clip(lines[0], limit) if lines else ""


def source_line(title: str, url: str | None, source: str, published_at: str | None, limit: int,
                prefix: str = "") -> str:
    """``prefix [title](url) — outlet · date``, with the title shortened to fit ``limit``."""
    tail = " · ".join(escape(p) for p in (source, display_date(published_at)) if p)
    tail = f" — {tail}" if tail else ""

    def render(t: str) -> str:
        return f"{prefix}{link(t, url)}{tail}"

    line = fit(title, limit, render)
    if len(line) > limit:  # the outlet alone is too long
        line = fit(f"{title} — {source}", limit, lambda t: prefix + escape(t))
    return line


# ----------------------------------------------------------------------------- limits


def embed_length(embed: discord.Embed | dict[str, Any]) -> int:
    data = embed.to_dict() if isinstance(embed, discord.Embed) else embed
    total = len(data.get("title") or "") + len(data.get("description") or "")
    total += len((data.get("footer") or {}).get("text") or "") + len((data.get("author") or {}).get("name") or "")
    for field in data.get("fields") or []:
        total += len(field.get("name") or "") + len(field.get("value") or "")
    return total


def limit_problems(content: str | None, embeds: Iterable[discord.Embed | dict[str, Any]]) -> list[str]:
    """Every way the message breaks a Discord limit; empty when Discord would accept it."""
    problems: list[str] = []
    if content and len(content) > LIMITS.content:
        problems.append(f"content has {len(content)} characters (limit {LIMITS.content})")
    embeds = [e.to_dict() if isinstance(e, discord.Embed) else e for e in embeds]
    if len(embeds) > LIMITS.embeds:
        problems.append(f"{len(embeds)} embeds (limit {LIMITS.embeds})")
    total = 0
    for i, data in enumerate(embeds):
        checks = [("title", data.get("title"), LIMITS.title),
                  ("description", data.get("description"), LIMITS.description),
                  ("footer", (data.get("footer") or {}).get("text"), LIMITS.footer),
                  ("author", (data.get("author") or {}).get("name"), LIMITS.author)]
        fields = data.get("fields") or []
        if len(fields) > LIMITS.fields:
            problems.append(f"embed {i} has {len(fields)} fields (limit {LIMITS.fields})")
        for j, field in enumerate(fields):
            checks.append((f"field {j} name", field.get("name"), LIMITS.field_name))
            checks.append((f"field {j} value", field.get("value"), LIMITS.field_value))
            if not (field.get("name") or "").strip() or not (field.get("value") or "").strip():
                problems.append(f"embed {i} field {j} has a blank name or value")
        for what, value, limit in checks:
            if value and len(value) > limit:
                problems.append(f"embed {i} {what} has {len(value)} characters (limit {limit})")
        total += embed_length(data)
    if total > LIMITS.total:
        problems.append(f"embeds have {total} characters together (limit {LIMITS.total})")
    return problems


def _shrink_to_total(embed: discord.Embed) -> discord.Embed:
    """Last line of defence: shorten the description until the embed fits in 6000."""
    excess = embed_length(embed) - LIMITS.total
    if excess > 0 and embed.description:
        embed.description = clip(embed.description, max(len(embed.description) - excess, 1))
    return embed


# ----------------------------------------------------------------------------- answers


def lead_line(answer: Answer, limit: int = 1000) -> str:
    """The direct answer first, in bold: "**No**, according to …" or "**No.** From …"."""
    text = clip(" ".join(answer.answer.split()), limit - 320)
    if answer.abstained:
        return escape(text)
    label = answer.verdict.capitalize() if answer.verdict else (answer.short_answer or "").strip()
    if not label:
        return escape(text)
    label = clip(label, 300)
    # The engine may already open its text with the verdict ("No, according to …").
    n = len(label)
    if text[:n].lower() == label.lower() and (len(text) == n or not text[n].isalnum()):
        return f"**{escape(text[:n])}**{escape(text[n:])}"
    return f"**{escape(label.rstrip('.'))}.** {escape(text)}".rstrip()


def quote_block(number: int, text: str) -> str:
    """``> **[n]** text`` as a block quote, every line of a multi-line quote included."""
    lines = [escape(line) for line in text.splitlines()] or [""]  # escaped line by line: "\r-" is no "\\" line
    return "\n".join(f"> **[{number}]** {line}" if i == 0 else f"> {line}" for i, line in enumerate(lines))


def quotes_description(lead: str, quotes: Sequence[Quote], limit: int, *, start: int = 1,
                       first_cap: int = 2000, other_cap: int = 1200) -> str:
    """``lead`` then numbered block quotes, within ``limit``. The first quote always
    appears (shortened when it must be); later ones are shortened or left out."""
    parts = [lead] if lead else []
    used = len(lead)
    for i, quote in enumerate(quotes):
        sep = 2 if parts else 0  # the blank line between blocks
        room = min(limit - used - sep, first_cap if i == 0 else other_cap)
        if i > 0 and room < 120:
            break
        number = start + i
        block = fit(quote.text, room, lambda t, n=number: quote_block(n, t))
        parts.append(block)
        used += sep + len(block)
    return "\n\n".join(parts)


def sources_field(quotes: Sequence[Quote], limit: int = LIMITS.field_value) -> str:
    """One line per quoted article: ``[1][2] [title](url) — outlet · date``."""
    numbers: dict[str, list[int]] = {}
    first: dict[str, Quote] = {}
    for n, quote in enumerate(quotes, start=1):
        numbers.setdefault(quote.article_id, []).append(n)
        first.setdefault(quote.article_id, quote)
    per_line = max(limit // max(len(first), 1) - 1, 120)
    lines = [source_line(q.title, q.url, q.source, q.published_at, min(per_line, limit),
                         prefix="".join(f"[{n}]" for n in numbers[aid]) + " ")
             for aid, q in first.items()]
    return join_lines(lines, limit)


def answer_colour(answer: Answer) -> discord.Colour:
    if answer.abstained:
        return COLOUR_QUIET
    return {"yes": COLOUR_YES, "no": COLOUR_NO}.get(answer.verdict or "", COLOUR_INFO)


def answer_embed(answer: Answer) -> discord.Embed:
    """The answer as one embed: the question as the title, the verdict or short answer
    first, then the quotes [1], [2], …, a Sources field, and the answer id in the footer."""
    embed = discord.Embed(title=fit(answer.question, LIMITS.title), colour=answer_colour(answer))
    lead = lead_line(answer)
    if answer.abstained or not answer.quotes:
        embed.description = lead
    else:
        embed.description = quotes_description(lead, answer.quotes, LIMITS.description)
        embed.add_field(name="Sources", value=sources_field(answer.quotes), inline=False)
    footer = f"answer {answer.answer_id}"
    total_ms = (answer.timings_ms or {}).get("total")
    if total_ms is not None:
        footer += f" · {total_ms / 1000:.1f} s"
    embed.set_footer(text=clip(footer, LIMITS.footer))
    return _shrink_to_total(embed)


# ----------------------------------------------------------------------------- companies


def company_embed(summary: CompanySummary) -> discord.Embed:
    """A company summary: who it is and what the articles say, quoted, with related
    companies, a timeline and the source articles as fields."""
    if not summary.found:
        embed = discord.Embed(title=fit(f"No company matching “{summary.query}”", LIMITS.title),
                              colour=COLOUR_QUIET)
        text = escape(clip(summary.message or "No indexed article mentions it.", 1500))
        if summary.suggestions:
            names = ", ".join(f"**{escape(clip(s, 100))}**" for s in summary.suggestions[:10])
            text += f"\n\nDid you mean: {names}?"
        embed.description = text
        return _shrink_to_total(embed)

    embed = discord.Embed(title=fit(summary.name or summary.query, LIMITS.title), colour=COLOUR_INFO)
    quotes = ([summary.who] if summary.who else []) + list(summary.facts)
    lead = "" if quotes else escape(clip(summary.message or "The articles name it but say little more.", 500))
    embed.description = quotes_description(lead, quotes, 2600, first_cap=1200, other_cap=600)
    add_field(embed, "Also known as", fit(", ".join(summary.aliases), 300))
    lines = [f"**{escape(clip(r.name, 80))}** — {escape(clip(r.quote.text, 200))}" for r in summary.related]
    add_field(embed, "Related companies", join_lines(lines, 800))
    lines = [f"`{display_date(t.date) or 'undated'}` {escape(clip(t.quote.text, 200))}" for t in summary.timeline]
    add_field(embed, "Timeline", join_lines(lines, 800))
    add_field(embed, "Sources", articles_field(summary.sources, 1000))
    embed.set_footer(text="Quotes are verbatim from the indexed articles.")
    return _shrink_to_total(embed)


def add_field(embed: discord.Embed, name: str, value: str) -> None:
    """A full-width field, left out when it would be blank (Discord refuses those)."""
    if value.strip():
        embed.add_field(name=name, value=value, inline=False)


def articles_field(sources: Sequence[SourceArticle], limit: int) -> str:
    lines = [source_line(s.title, s.url, s.source, s.published_at, 240) for s in sources]
    return join_lines(lines, limit)


# ----------------------------------------------------------------------------- admin and lists


def sources_embed(rows: Sequence[Any], page: int, has_more: bool) -> discord.Embed:
    """One page of ``service.list_articles()`` rows: id, linked title, outlet and date."""
    embed = discord.Embed(title="Indexed articles", colour=COLOUR_INFO)
    if not rows:
        embed.description = "No articles on this page." if page else "The knowledge base is empty."
    else:
        entries = [source_line(r.title, r.url, r.source, r.published_at, 330,
                               prefix=f"`{clip(r.id, 60)}` ") for r in rows]
        embed.description = join_lines(entries, LIMITS.description)
    more = " · more on the next page" if has_more else ""
    embed.set_footer(text=f"Page {page + 1} · newest first{more}")
    return embed


def add_outcome_embed(filename: str, outcome: Any) -> discord.Embed:
    """The result of ``service.add_upload``: what was added, replaced, skipped or rejected."""
    report = outcome.report
    lines = [f"✅ added `{clip(i.id, 60)}` {escape(clip(i.title, 150))}" for i in report.added]
    lines += [f"♻️ replaced `{clip(i.id, 60)}` {escape(clip(i.title, 150))}" for i in report.replaced]
    lines += [f"⏭️ skipped `{clip(i.id, 60)}` {escape(clip(i.title, 120))}"
              + (f": {escape(clip(i.detail, 150))}" if i.detail else "") for i in report.skipped]
    lines += [f"❌ rejected {escape(clip(r.file, 80))}: {escape(clip(r.reason, 200))}" for r in outcome.rejected]
    added = len(report.added) + len(report.replaced)
    title = f"{escape(clip(filename, 150))}: {added} article{'s' if added != 1 else ''} indexed"
    colour = COLOUR_YES if outcome.ok and added else COLOUR_WARN
    embed = discord.Embed(title=clip(title, LIMITS.title), colour=colour,
                          description=join_lines(lines, LIMITS.description) or "Nothing new in this file.")
    embed.set_footer(text=f"{report.chunks_added} chunks embedded in {report.seconds:.1f} s")
    return embed


def rebuild_embed(report: Any) -> discord.Embed:
    embed = discord.Embed(title="Knowledge base rebuilt", colour=COLOUR_YES,
                          description=f"Re-embedded {len(report.added)} articles "
                                      f"({report.chunks_added} chunks) in {report.seconds:.1f} s.")
    return embed


def progress_text(what: str, done: int, total: int) -> str:
    """``Indexing report.txt… 12/40 chunks embedded``, for edits of a deferred reply."""
    label = escape(clip(what, 200))
    if total <= 0:
        return f"{label}…"
    percent = int(100 * done / total)
    return f"{label}… {done}/{total} chunks embedded ({percent}%)"


# ----------------------------------------------------------------------------- feeds


def announcement_embed(title: str, url: str | None, source: str, published_at: str | None,
                       first_sentence: str) -> discord.Embed:
    """A new article, for the announcement channel: the linked title, outlet and date,
    and the article's first sentence quoted as it stands in the stored text."""
    embed = discord.Embed(title=fit(title or "untitled", LIMITS.title), colour=COLOUR_INFO)
    target = safe_url(url)
    if target:
        embed.url = target
    byline = " · ".join(escape(clip(p, 200)) for p in (source, display_date(published_at)) if p)
    quote = fit(" ".join(first_sentence.split()), 1500, render=lambda t: f"> {escape(t)}")
    lines = [quote] if first_sentence.strip() else []
    if byline:
        lines.append(f"— {byline}")
    if target:
        lines.append(f"<{target}>")
    embed.description = "\n".join(lines) or "New article"
    return embed


def pack_embeds(embeds: Sequence[discord.Embed]) -> list[list[discord.Embed]]:
    """Embeds grouped into as few messages as Discord allows (10 a message, 6000
    characters together)."""
    messages: list[list[discord.Embed]] = []
    for embed in embeds:
        last = messages[-1] if messages else None
        if (last is not None and len(last) < LIMITS.embeds
                and sum(embed_length(e) for e in last) + embed_length(embed) <= LIMITS.total):
            last.append(embed)
        else:
            messages.append([embed])
    return messages


def feeds_embed(feeds: Sequence[Any], interval_minutes: float) -> discord.Embed:
    """``service.list_feeds()``: id, name, link, what each delivered, and its error."""
    embed = discord.Embed(title="Followed feeds", colour=COLOUR_INFO)
    if not feeds:
        embed.description = "No feeds yet: an admin can add one with /feed add."
        return embed
    entries = []
    for feed in feeds:
        line = f"`{feed.id}` {link(clip(feed.name, 120), feed.url)} — {feed.articles_added} articles"
        if feed.last_error:
            line += f"\n⚠️ failing ({feed.failures}×): {escape(clip(feed.last_error, 300))}"
        elif feed.last_success_at is None:
            line += " · not polled yet"
        entries.append(line)
    embed.description = join_lines(entries, LIMITS.description)
    embed.set_footer(text=f"Polled every {interval_minutes:g} minutes; a failing feed backs off.")
    return embed
