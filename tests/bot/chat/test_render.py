"""Discord rendering: the answer first, verbatim quotes, sources, and Discord's limits."""

from __future__ import annotations

import re
from types import SimpleNamespace

import discord
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.chat.render import (
    LIMITS,
    add_outcome_embed,
    announcement_embed,
    answer_embed,
    clip,
    company_embed,
    escape,
    feeds_embed,
    limit_problems,
    pack_embeds,
    progress_text,
    sources_embed,
)
from bot.engine.answer import Answer, Quote
from bot.engine.companies import CompanySummary, RelatedCompany, SourceArticle, TimelineEntry

GROUNDLESS = "A spokesperson for Hyundai rejected the report’s findings, calling them “groundless.”"
TITLE = "Xiaomi’s EV ambitions could involve a partnership with BAIC: Report"


def quote(text: str, *, article: str = "a-1", title: str = TITLE, source: str = "Bloomberg, Reuters",
          url: str | None = None, date: str | None = None) -> Quote:
    return Quote(article, title, source, url, date, text, 0, len(text))


def hyundai_answer() -> Answer:
    return Answer(
        question="Did Hyundai confirm the plant deal? @everyone",
        answer=f"According to “{TITLE}” (Bloomberg, Reuters).",
        verdict="no",
        quotes=[quote(GROUNDLESS),
                quote("Meanwhile, a Hyundai spokesperson rejected the notion of Xiaomi and BAIC using the plant"),
                quote("The recall covers blades made at the company's Aalborg plant in 2022", article="a-2",
                      title="Nordwind Energy confirms recall", source="Harbor Ledger",
                      url="https://harborledger.example/2024/03/nordwind-recall", date="2024-03-14T00:00:00+00:00")],
        answer_id="0123456789ab", timings_ms={"total": 240.0})


def unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


# ----------------------------------------------------------------------------- text helpers


def test_clip_keeps_short_text_and_cuts_at_a_sentence_boundary() -> None:
    assert clip("Short.", 10) == "Short."
    text = "The first sentence is here. The second one is longer and goes on and on."
    assert clip(text, 40) == "The first sentence is here. …"
    assert clip("one two three four five six", 12) == "one two…"
    assert len(clip("x" * 50, 10)) == 10 and clip("x" * 50, 10).endswith("…")


@given(st.text(max_size=600), st.integers(min_value=1, max_value=300))
def test_clip_never_exceeds_the_limit(text: str, limit: int) -> None:
    out = clip(text, limit)
    assert len(out) <= limit
    assert out == text or out.endswith("…")


@given(st.text(alphabet=st.characters(blacklist_characters="\\"), max_size=300))
def test_escaping_never_changes_the_visible_words(text: str) -> None:
    assert unescape(escape(text)) == text


def test_escaping_neutralises_markdown_but_keeps_links() -> None:
    out = escape("*bold* __under__ `code` ||spoiler|| [x](y) <@1> see https://a.example/x_y_z")
    assert "\\*bold\\*" in out and "\\`code\\`" in out and "\\[x](y)" in out and "\\<@1>" in out
    assert out.endswith("https://a.example/x_y_z")
    assert escape("# heading\n> quote\n- item\n-# small") == "\\# heading\n\\> quote\n\\- item\n\\-# small"


# ----------------------------------------------------------------------------- answers


def test_answer_embed_puts_the_verdict_first_then_numbered_quotes_and_sources() -> None:
    embed = answer_embed(hyundai_answer())
    assert embed.title == "Did Hyundai confirm the plant deal? @everyone"
    lines = embed.description.split("\n\n")
    assert lines[0] == f"**No.** According to “{TITLE}” (Bloomberg, Reuters)."
    assert lines[1] == f"> **[1]** {GROUNDLESS}"
    assert lines[2].startswith("> **[2]** Meanwhile") and lines[3].startswith("> **[3]** The recall")
    assert [f.name for f in embed.fields] == ["Sources"]
    assert embed.fields[0].value.split("\n") == [
        f"[1][2] {TITLE} — Bloomberg, Reuters",
        "[3] [Nordwind Energy confirms recall](https://harborledger.example/2024/03/nordwind-recall)"
        " — Harbor Ledger · 14 Mar 2024"]
    assert embed.footer.text == "answer 0123456789ab · 0.2 s"
    assert embed.colour == discord.Colour.red()
    assert limit_problems(None, [embed]) == []


def test_a_verdict_already_in_the_text_is_not_repeated() -> None:
    answer = hyundai_answer()
    answer.answer = f"No, according to “{TITLE}”."
    assert answer_embed(answer).description.startswith(f"**No**, according to “{TITLE}”.")
    answer.verdict, answer.short_answer = None, "30 million dollars"
    assert answer_embed(answer).description.startswith("**30 million dollars.** No, according")


def test_an_abstention_is_quiet_and_has_no_sources() -> None:
    answer = Answer(question="Who won the 1930 World Cup?", answer="The indexed articles don't say.",
                    abstained=True, answer_id="feedfacecafe")
    embed = answer_embed(answer)
    assert embed.description == "The indexed articles don't say."
    assert embed.fields == [] and embed.colour == discord.Colour.light_grey()


def test_a_multiline_quote_stays_one_block_quote() -> None:
    answer = hyundai_answer()
    answer.quotes = [quote("• Xiaomi announced the plant\n  • BAIC denied it")]
    description = answer_embed(answer).description
    assert "> **[1]** • Xiaomi announced the plant\n>   • BAIC denied it" in description


# Markdown-heavy text doubles when escaped: the hardest case for the limits.
long_text = st.one_of(st.text(min_size=1, max_size=3000),
                      st.text(alphabet="*_`|\\[]<>#-. \nab", min_size=1, max_size=3000))
urls = st.one_of(st.none(), st.just("https://example.com/" + "p" * 700), st.just("javascript:alert(1)"),
                 st.builds(lambda s: f"https://news.example/{s}", st.text(max_size=40)))
quotes = st.builds(Quote, st.text(min_size=1, max_size=20), st.text(max_size=600), st.text(max_size=300), urls,
                   st.one_of(st.none(), st.just("2024-02-09"), st.just("not a date")), long_text,
                   st.just(0), st.just(1))


@settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@example(question="0", lead="0", short=None, verdict=None,  # a carriage return once left a lone "\\" line
         quotes=[Quote("0", "", "", None, None, "\r-", 0, 1)])
@given(question=st.text(min_size=1, max_size=2000), lead=long_text,
       short=st.one_of(st.none(), st.text(max_size=800)), verdict=st.sampled_from([None, "yes", "no"]),
       quotes=st.lists(quotes, min_size=1, max_size=10))
def test_any_answer_fits_discord_and_keeps_its_first_quote(question, lead, short, verdict, quotes) -> None:
    answer = Answer(question=question, answer=lead, short_answer=short, verdict=verdict, quotes=quotes,
                    answer_id="abc")
    embed = answer_embed(answer)
    assert limit_problems(None, [embed]) == []
    assert "> **[1]** " in embed.description
    # The first quote is shown from its start (shortened at worst), its words unchanged.
    shown = unescape(embed.description.split("> **[1]** ", 1)[1].replace("\n> ", "\n"))
    expected = "".join(quotes[0].text.split())[:10]
    assert "".join(shown.split())[:len(expected)] == expected


# ----------------------------------------------------------------------------- companies, lists


def big_summary() -> CompanySummary:
    body = "Xiaomi said it would *start* mass production in 2024, with a capacity of 300,000 cars. " * 30
    q = quote(body.strip())
    return CompanySummary(
        query="xiaomi", found=True, name="Xiaomi", aliases=[f"Xiaomi Alias {i}" for i in range(60)],
        who=q, facts=[q] * 10,
        related=[RelatedCompany(f"BAIC {i}", q) for i in range(30)],
        timeline=[TimelineEntry("2024-03-14T00:00:00+00:00", q) for _ in range(30)],
        sources=[SourceArticle(f"a-{i}", TITLE * 3, "Bloomberg", "https://example.com/a", None) for i in range(40)])


def test_a_company_summary_fits_with_every_part() -> None:
    embed = company_embed(big_summary())
    assert limit_problems(None, [embed]) == []
    assert embed.title == "Xiaomi"
    assert embed.description.startswith("> **[1]** Xiaomi said it would \\*start\\*")
    assert [f.name for f in embed.fields] == ["Also known as", "Related companies", "Timeline", "Sources"]
    assert embed.fields[2].value.startswith("`14 Mar 2024` Xiaomi said")
    assert "…and" in embed.fields[3].value


def test_an_unknown_company_suggests_names() -> None:
    summary = CompanySummary(query="Xiaomy", found=False, suggestions=["Xiaomi", "Xpeng"],
                             message="No article mentions Xiaomy.")
    embed = company_embed(summary)
    assert embed.title == "No company matching “Xiaomy”"
    assert embed.description == "No article mentions Xiaomy.\n\nDid you mean: **Xiaomi**, **Xpeng**?"


def row(i: int, **extra: object) -> SimpleNamespace:
    data = {"id": f"id-{i}", "title": f"Article {i}", "source": "Wire", "url": f"https://w.example/{i}",
            "published_at": f"2024-01-0{i % 9 + 1}"}
    data.update(extra)
    return SimpleNamespace(**data)


def test_sources_page() -> None:
    embed = sources_embed([row(1), row(2, url=None, title="x" * 2000)], page=1, has_more=True)
    lines = embed.description.split("\n")
    assert lines[0] == "`id-1` [Article 1](https://w.example/1) — Wire · 2 Jan 2024"
    assert lines[1].startswith("`id-2` xxx") and len(lines[1]) <= 330
    assert embed.footer.text == "Page 2 · newest first · more on the next page"
    assert sources_embed([], 0, False).description == "The knowledge base is empty."


def test_add_outcome_lists_every_kind_within_limits() -> None:
    item = SimpleNamespace(id="a-1", title="Quillfeather opens a factory", origin="quill.txt", detail=None)
    skipped = SimpleNamespace(id="a-2", title="Old news", origin="quill.txt", detail="duplicate of a-0")
    report = SimpleNamespace(added=[item] * 300, replaced=[item], skipped=[skipped], chunks_added=4, seconds=1.25)
    outcome = SimpleNamespace(report=report, rejected=[SimpleNamespace(file="x.bin", reason="binary")], ok=False)
    embed = add_outcome_embed("quill.txt", outcome)
    assert embed.title == "quill.txt: 301 articles indexed"
    assert limit_problems(None, [embed]) == [] and "…and" in embed.description
    assert embed.footer.text == "4 chunks embedded in 1.2 s"
    assert progress_text("Indexing quill.txt", 3, 12) == "Indexing quill.txt… 3/12 chunks embedded (25%)"


def test_limit_problems_finds_each_kind_of_excess() -> None:
    embed = discord.Embed(title="t" * 300, description="d" * 5000)
    for _ in range(26):
        embed.add_field(name="n", value="v" * 1100)
    problems = limit_problems("c" * 2001, [embed] * 11)
    text = "\n".join(problems)
    for expected in ("content", "11 embeds", "title", "description", "26 fields", "field 0 value", "together"):
        assert expected in text
    assert limit_problems("ok", [discord.Embed(title="fine")]) == []
    assert LIMITS.total == 6000


def test_markdown_heavy_text_doubles_when_escaped_and_still_fits() -> None:
    answer = Answer(question="*" * 2000, answer="_" * 5000, short_answer="`" * 800, verdict=None,
                    quotes=[quote("|" * 3000, url="https://e.example/" + ")" * 400)] * 10, answer_id="abc")
    embed = answer_embed(answer)
    assert limit_problems(None, [embed]) == []
    assert "> **[1]** \\|\\|" in embed.description


@settings(max_examples=40, deadline=None)
@given(text=long_text, name=st.text(min_size=1, max_size=400), n=st.integers(min_value=0, max_value=40))
def test_any_company_summary_fits(text: str, name: str, n: int) -> None:
    q = quote(text, title=name)
    summary = CompanySummary(query=name, found=True, name=name, aliases=[name] * n, who=q if n % 2 else None,
                             facts=[q] * n, related=[RelatedCompany(name, q)] * n,
                             timeline=[TimelineEntry(None, q)] * n,
                             sources=[SourceArticle("a", name, name, "https://e.example/" + name, None)] * n)
    embed = company_embed(summary)
    assert limit_problems(None, [embed]) == []
    missing = CompanySummary(query=name, found=False, suggestions=[name] * n, message=text)
    assert limit_problems(None, [company_embed(missing)]) == []


# ----------------------------------------------------------------------------- feeds


FIRST = "Amberly Robotics opened a factory for delivery robots in Port Ellery on Tuesday, the company said."


def test_an_announcement_has_the_linked_title_outlet_date_and_the_first_sentence() -> None:
    embed = announcement_embed("Amberly Robotics opens a plant", "https://news.example/a?b=1", "Harbor Ledger",
                               "2024-03-02T08:30:00+00:00", FIRST)
    assert embed.title == "Amberly Robotics opens a plant" and embed.url == "https://news.example/a?b=1"
    quote_line, byline, link_line = embed.description.split("\n")
    assert unescape(quote_line) == f"> {FIRST}"
    assert byline == "— Harbor Ledger · 2 Mar 2024" and link_line == "<https://news.example/a?b=1>"
    assert limit_problems(None, [embed]) == []


def test_an_announcement_without_a_usable_link_or_date_still_reads() -> None:
    embed = announcement_embed("Untrusted [link](javascript:alert(1))", "javascript:alert(1)", "", None,
                               "@everyone look *here*")
    assert embed.url is None and "javascript" not in embed.description
    assert embed.description == r"> @everyone look \*here\*"


@given(title=st.text(max_size=600), source=st.text(max_size=400), sentence=st.text(max_size=6000))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_any_announcement_fits_and_a_message_of_them_stays_within_limits(title: str, source: str,
                                                                         sentence: str) -> None:
    embeds = [announcement_embed(title, "https://news.example/" + "x" * 400, source, "2024-03-02", sentence)
              for _ in range(23)]
    for embed in embeds:
        assert limit_problems(None, [embed]) == []
    messages = pack_embeds(embeds)
    assert sum(len(m) for m in messages) == 23
    for message in messages:
        assert limit_problems(None, message) == []


def test_feeds_embed_lists_each_feed_with_its_error() -> None:
    ok = SimpleNamespace(id=1, name="Business", url="https://news.example/rss", articles_added=22, last_error=None,
                         failures=0, last_success_at="2024-03-02")
    failing = SimpleNamespace(id=2, name="Sport " * 50, url="https://news.example/atom", articles_added=0,
                              last_error="the server answered HTTP 503 " * 40, failures=3, last_success_at=None)
    embed = feeds_embed([ok, failing], 15)
    assert "`1` [Business](https://news.example/rss) — 22 articles" in embed.description
    assert "⚠️ failing (3×): the server answered HTTP 503" in embed.description
    assert embed.footer.text == "Polled every 15 minutes; a failing feed backs off."
    assert limit_problems(None, [embed]) == []
    assert "No feeds yet" in feeds_embed([], 15).description
