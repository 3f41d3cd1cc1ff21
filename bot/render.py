"""Rendering an :class:`~bot.answer.Answer` for people: terminal text here; Discord embeds
in :mod:`bot.discord_render`.

Usage::

    from bot.render import answer_text
    print(answer_text(answer))
"""

from __future__ import annotations

import textwrap

from bot.answer import Answer, Quote


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
    """The direct answer first: the verdict, else the short answer, else the lead text."""
    if answer.abstained:
        return answer.answer
    if answer.verdict:
        return f"{answer.verdict.capitalize()}. {answer.answer}".strip()
    if answer.short_answer:
        return f"{answer.short_answer}. {answer.answer}".strip()
    return answer.answer


def answer_text(answer: Answer, width: int = 100) -> str:
    lines = [headline(answer)]
    for number, quote in enumerate(answer.quotes, start=1):
        lines.append("")
        lines.append(textwrap.fill(f"[{number}] “{quote.text}”", width=width, subsequent_indent="    "))
        lines.append(textwrap.fill(f"— {citation(quote)}", width=width, initial_indent="    ",
                                   subsequent_indent="      "))
    return "\n".join(lines)
