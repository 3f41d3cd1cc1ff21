"""Terminal text for people: an Answer, the company listing and a company summary, each
quote verbatim with its citation (title · outlet · date · link). Discord's embeds are drawn
by :mod:`bot.chat.render`, from the same records; ``--json`` prints them as they are.

Usage::

    from bot.render import answer_text, companies_text, company_text
    print(answer_text(service.ask("Did Hyundai confirm the plant deal?")))
    print(companies_text(service.companies()))
    print(company_text(service.company_summary("Xiaomi")))
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

from bot.engine.answer import Answer, Quote
from bot.engine.companies import CompanyListing, CompanySummary


def display_date(published_at: str | None) -> str:
    """"2023-10-07T20:15:26+00:00" → "7 Oct 2023"; unknown stays empty."""
    if not published_at:
        return ""
    from datetime import datetime

    try:
        when = datetime.fromisoformat(published_at)
    except ValueError:
        return published_at[:10]
    return f"{when.day} {when:%b %Y}"


def citation(quote: Quote) -> str:
    """Title, outlet, date and link, whichever are known, joined for one line."""
    parts = [quote.title, quote.source, display_date(quote.published_at), quote.url or ""]
    return " · ".join(p for p in parts if p)


def headline(answer: Answer) -> str:
    """The direct answer first: ``answer.answer`` already leads with the verdict or the
    short answer, or says plainly that the articles don't answer."""
    return answer.answer


def answer_text(answer: Answer, width: int = 100) -> str:
    lines = [headline(answer)]
    for number, quote in enumerate(answer.quotes, start=1):
        lines.append("")
        lines.append(textwrap.fill(f"[{number}] “{quote.text}”", width=width, subsequent_indent="    "))
        lines.append(textwrap.fill(f"— {citation(quote)}", width=width, initial_indent="    ",
                                   subsequent_indent="      "))
    return "\n".join(lines)


def companies_text(listings: Sequence[CompanyListing]) -> str:
    """One line per company: name, aliases, mention and article counts, last-seen date."""
    if not listings:
        return "No companies found in the indexed articles."
    lines = []
    for c in listings:
        aka = f" (also {', '.join(c.aliases)})" if c.aliases else ""
        seen = f", last seen {display_date(c.last_seen)}" if c.last_seen else ""
        lines.append(f"{c.name}{aka}: {c.mentions} mention{'s' if c.mentions != 1 else ''} in "
                     f"{c.articles} article{'s' if c.articles != 1 else ''}{seen}")
    return "\n".join(lines)


def company_text(summary: CompanySummary, width: int = 100) -> str:
    """Who, key facts grouped by article, related companies, timeline and sources; every
    line a verbatim quote with its citation."""
    if not summary.found:
        text = summary.message or f"No article mentions {summary.query}."
        if summary.suggestions:
            text += f"\nDid you mean: {', '.join(summary.suggestions)}?"
        return text

    def quoted(text: str, indent: str = "  ", lead: str = "") -> str:
        return textwrap.fill(f"{lead}“{' '.join(text.split())}”", width=width, initial_indent=indent,
                             subsequent_indent=indent + "  ")

    lines = [summary.name + (f" (also {', '.join(summary.aliases)})" if summary.aliases else "")]
    if summary.who:
        lines.append(quoted(summary.who.text))
        lines.append(textwrap.fill(f"— {citation(summary.who)}", width=width, initial_indent="    ",
                                   subsequent_indent="      "))
    if summary.message:
        lines.append(summary.message)
    if summary.facts:
        lines += ["", "Key facts"]
        current = None
        for quote in summary.facts:
            if quote.article_id != current:
                current = quote.article_id
                lines.append(textwrap.fill(citation(quote), width=width, initial_indent="  ",
                                           subsequent_indent="    "))
            lines.append(quoted(quote.text, indent="    ", lead="• "))
    if summary.related:
        lines += ["", "Related companies"]
        for related in summary.related:
            lines.append(f"  {related.name}")
            lines.append(quoted(related.quote.text, indent="    "))
            lines.append(textwrap.fill(f"— {citation(related.quote)}", width=width, initial_indent="      ",
                                       subsequent_indent="        "))
    if summary.timeline:
        lines += ["", "Timeline"]
        for entry in summary.timeline:
            when = display_date(entry.date) or "undated"
            source = entry.quote.source or entry.quote.title
            lines.append(textwrap.fill(f"{when}: “{' '.join(entry.quote.text.split())}” ({source})", width=width,
                                       initial_indent="  ", subsequent_indent="    "))
    if summary.sources:
        lines += ["", "Sources"]
        for number, source in enumerate(summary.sources, start=1):
            parts = [source.title, source.source, display_date(source.published_at), source.url or ""]
            lines.append(textwrap.fill(f"[{number}] " + " · ".join(p for p in parts if p), width=width,
                                       initial_indent="  ", subsequent_indent="      "))
    return "\n".join(lines)
