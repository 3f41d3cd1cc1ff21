"""Typed spans and short answers, on sentences written for these tests."""

from __future__ import annotations

import numpy as np
import pytest

from bot.engine.evidence import RankedSentence, cast_part, titled_elsewhere
from bot.engine.focus import Focus, read_focus
from bot.engine.question import read_question, spelled_out
from bot.engine.short_answer import (
    _a_lot_of_it,
    _act_only_in_a_participle_after,
    _another_model,
    _Asked,
    _employer_of_a_role,
    _fits,
    _holds_a_word_asked,
    _is_the_asked_by_alias,
    _made_role,
    _one_of_a_list,
    _says_the_act,
    _someone_elses,
    _weekday_describing,
    _where_said,
    in_a_since_clause,
    listed_with,
    usual_spelling,
)
from bot.engine.spans import TypedSpan, typed_spans
from bot.engine.syntax import takes_part
from index.companies.entity_spans import EntitySpan
from index.text import stem


def kinds_found(text: str, entities: list[EntitySpan] = ()) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for span in typed_spans(text, 0, len(text), entities):
        for kind in span.kinds:
            found.setdefault(kind, []).append(text[span.start:span.end])
    return found


def test_patterns_find_amounts_percentages_scores_and_counts() -> None:
    found = kinds_found("Orbel paid $1.7B for the mill, 17.9% above its value; the Hawks won 34-29 "
                        "and the plant makes 3,00,000 units a year.")
    assert "$1.7B" in found["money"]
    assert "17.9%" in found["percent"]
    assert "34-29" in found["score"]
    assert any(n.startswith("3,00,000 units") for n in found["number"])
    assert kinds_found("Zim paid NIS 405 million for the house.")["money"] == ["NIS 405 million"]


def test_a_score_before_a_comma_is_a_score_even_when_the_tagger_calls_it_a_date() -> None:
    text = "The Hawks routed Lyon, 42-18, on Saturday."
    tagged = [EntitySpan(text.index("42"), text.index("42") + 5, "DATE")]
    found = kinds_found(text, tagged)
    assert found["score"] == ["42-18"] and "42-18" not in found.get("date", [])


def test_an_amount_the_tagger_cut_short_keeps_its_scale() -> None:
    body = "Orbel's losses ballooned to almost £300m in the year."
    tagged = [EntitySpan(body.index("almost"), body.index("£300") + 4, "MONEY")]
    assert "almost £300m" in kinds_found(body, tagged)["money"]


def test_an_amount_the_tagger_took_without_its_currency_gets_it_back() -> None:
    body = "Both finalists took home $185,000 each."
    tagged = [EntitySpan(body.index("185"), body.index(" each"), "MONEY")]
    assert kinds_found(body, tagged)["money"] == ["$185,000"]


def test_a_label_number_is_not_a_count() -> None:
    found = kinds_found("The group may buy a stake in the No. 2 plant.")
    assert "number" not in found


def test_a_name_tagged_once_is_a_name_everywhere_in_the_article() -> None:
    body = "Talks with Korvath (Korvath Motor Group) go on. Korvath's board meets on Monday."
    tagged = [EntitySpan(11, 18, "ORG")]
    later = body.index("Korvath's")
    spans = typed_spans(body, later, len(body), tagged)
    assert any(body[s.start:s.end] == "Korvath" and "organization" in s.kinds for s in spans)


def test_answer_types_of_the_usual_forms() -> None:
    cases = {
        "who runs korvath?": "person", "korvath ceo?": "person", "how much did korvath pay for the mill": "money",
        "price of the orbel x2?": "money", "how many workers were laid off": "number",
        "when does the plant open": "date", "release date of the orbel x2?": "date",
        "which carmaker is korvath talking to": "organization", "where is the new plant": "place",
        "what percentage of staff left": "percent", "did korvath confirm the deal?": "yes_no",
        "what's the name of korvath's new phone": "product", "why did the talks stall": "open",
        "what is dana whitlock's weekly wage at korvath": "money", "what is dana whitlock's net worth": "money",
    }
    for text, expected in cases.items():
        assert read_question(text).answer_type == expected, text


def test_who_does_a_persons_act_asks_for_a_person_only() -> None:
    assert read_question("who runs the korvath privacy agency").also == ()
    assert read_question("who founded korvath?").also == ()
    assert read_question("who bought the korvath plant?").also == ("organization",)


def test_a_bound_before_an_amount_or_count_is_part_of_it() -> None:
    found = kinds_found("Its main rate is above 5.25 per cent, and it cut almost 1,500 jobs in May.")
    assert "above 5.25 per cent" in found["percent"] and "almost 1,500 jobs" in found["number"]


def test_a_tagged_count_that_says_no_number_is_no_count() -> None:
    body = "Orbel links people to shops more than 40 million times a month."
    # The tagger cut "more than" off its number: it is tagged a count, but says none.
    found = kinds_found(body, [EntitySpan(28, 37, "CARDINAL"), EntitySpan(38, 54, "CARDINAL")])
    assert "more than" not in found.get("number", [])
    assert "more than 40 million times" in found["number"]  # with its bound, as the sentence says it


def test_a_surname_after_the_full_name_is_that_person_even_when_tagged_a_company() -> None:
    body = "Priya Lindqvist runs Orbel. Lindqvist said the mill would reopen."
    tagged = [EntitySpan(0, 15, "PERSON"), EntitySpan(21, 26, "ORG"), EntitySpan(28, 37, "ORG")]
    spans = typed_spans(body, 28, len(body), tagged)
    assert any(body[s.start:s.end] == "Lindqvist" and "person" in s.kinds for s in spans)


def test_a_place_before_a_company_name_is_not_a_first_name() -> None:
    body = "Beijing Hyundai runs the plant. Hyundai said no."
    tagged = [EntitySpan(0, 7, "GPE"), EntitySpan(0, 15, "PERSON"), EntitySpan(32, 39, "ORG")]
    spans = typed_spans(body, 32, len(body), tagged)
    assert [s.kinds for s in spans if body[s.start:s.end] == "Hyundai"] == [("organization",)]


def test_the_act_or_role_asked_about_is_read_from_the_question() -> None:
    cases = {"who founded pellmore?": "founded", "pellmore ceo?": "ceo", "whos the ceo of pellmore": "ceo",
             "who replaced the pellmore head coach": "replaced", "who is headlining the festival": "headlining",
             "how much revenue did pellmore make": "revenue", "how much did pellmore pay for the mill": "pay",
             "how many copies has the pellmore game sold": "copies", "whats the price of the pellmore pass": None,
             "who is pellmore's new man": None}
    for text, expected in cases.items():
        assert read_question(text).predicate == expected, text
    assert read_question("whats the price of the pellmore pass").answer_type == "money"


def test_chat_shorthand_is_spelled_out_but_a_name_in_capitals_is_kept() -> None:
    assert spelled_out("how many ppl did u lay off rn") == "how many people did you lay off right now"
    assert spelled_out("did PPL cut jobs in the u.s.") == "did PPL cut jobs in the u.s."
    assert spelled_out("r&d spend after the u-turn, and who won the bout") == \
        "r&d spend after the u-turn, and who won the bout"


def add_written_article(service, tmp_path, title: str, body: str) -> None:
    """Index one article written for a test (its outlet and date are made up too)."""
    path = tmp_path / "written.txt"
    path.write_text(f"{title}\nSource: Valley Ledger\nDate: 2024-06-02\n\n{body}\n")
    assert service.add_paths([path]).ok


def test_founders_named_together_are_one_answer_and_investors_are_not_founders(service, tmp_path) -> None:
    add_written_article(
        service, tmp_path, "Pellmore raises money for its ticket app",
        "Pellmore, a ticketing startup from Leeds, was founded in 2019 by Rosalind Achebe and Tomas Varga. "
        "Kwame Lund, an investor in Pellmore, said the app had found a loyal following among students. "
        "The startup sells about 40,000 tickets a month and raised $2 million last year.")
    founders = service.ask("who founded pellmore?")
    assert founders.short_answer == "Rosalind Achebe and Tomas Varga", founders.answer
    assert "founded in 2019" in founders.quotes[0].text
    chief = service.ask("pellmore ceo?")
    assert chief.short_answer is None, chief.answer  # the article names no chief executive
    # An amount is stated ($2 million raised), but nothing says what anyone paid: abstain, and say what is missing.
    paid = service.ask("how much did kwame lund pay for his pellmore stake")
    assert paid.abstained and "not the amount" in paid.answer, paid.answer


def test_the_value_compared_against_and_a_sentence_opening_word_are_not_the_answer(service, tmp_path) -> None:
    add_written_article(
        service, tmp_path, "Orbel margins shrink",
        "Orbel reported a gross margin of 17.9% for the quarter, down from 25.1% a year earlier. "
        "National bike maker Quillon bought the Orbel mill in May. "
        "Quillon is the largest national maker of bikes.")
    margin = service.ask("what gross margin did orbel report")
    assert margin.short_answer == "17.9%", margin.answer
    buyer = service.ask("which bike maker bought the orbel mill")
    assert buyer.short_answer == "Quillon", buyer.answer


def test_a_length_of_time_is_not_a_date_and_a_year_in_a_date_is_not_a_count() -> None:
    body = "Talks dragged on for months. Orbel spent three years on the mill and opens it in early 2025."
    tagged = [EntitySpan(body.index("months"), body.index("months") + 6, "DATE"),
              EntitySpan(body.index("three"), body.index(" on the mill"), "DATE"),
              EntitySpan(body.index("early"), body.index("2025") + 4, "DATE")]
    found = kinds_found(body, tagged)
    assert found["date"] == ["early 2025"]           # "months" says no when
    assert found["duration"] == ["three years"]      # a length of time, for "how long"
    assert "number" not in found                     # the 2025 of "early 2025" counts nothing
    assert "duration" in read_question("how long did orbel spend on the mill").also
    assert "duration" not in read_question("how big was the orbel deal").also


def test_an_amount_restated_in_brackets_is_one_answer(service, tmp_path) -> None:
    add_written_article(
        service, tmp_path, "Quillon closes its first round",
        "Quillon, the Lyon bike startup, raised a €40 million seed round ($43 million at today's rates) from "
        "three investors led by Harbour Capital. The company plans to open two shops next year.")
    size = service.ask("how big was quillon's seed round")
    assert size.short_answer == "€40 million", size.answer
    assert "seed round" in size.quotes[0].text


def test_when_is_answered_by_a_date_not_by_a_length_of_time(service) -> None:
    # seeds/: "... comes months after Xiaomi announced ...", and "commence mass production by the first half of 2024"
    when = service.ask("yo when does xiaomi start production")
    assert when.short_answer == "the first half of 2024", when.answer
    assert "commence mass production" in when.quotes[0].text


def test_losses_and_a_compound_word_meet_the_question_s_words(service, tmp_path) -> None:
    add_written_article(
        service, tmp_path, "Vantor results",
        "The online retailer Vantor said on Tuesday that its pre-tax losses widened to £12m in the year to June. "
        "Chief executive Mara Quist said the company would close two warehouses.")
    lost = service.ask("how much did vantor lose before tax this year")
    assert lost.short_answer == "£12m", lost.answer



def test_a_sentence_length_is_a_length_of_time_said_with_the_sentence(service, tmp_path) -> None:
    add_written_article(
        service, tmp_path, "Vantor founder sentenced",
        "Dana Kell, the founder of Vantor, was sentenced to seven years in prison on Friday. "
        "Prosecutors said Kell took $8 million from investors over three years.")
    given = service.ask("what sentence did dana kell get")
    assert given.short_answer == "seven years", given.answer
    (tmp_path / "second").mkdir()
    add_written_article(
        service, tmp_path / "second", "Orrin Vale convicted",
        "Orrin Vale, who ran the Quarrow fund, was convicted of fraud on Friday and will be sentenced in March. "
        "Prosecutors said Vale took $3 million from investors.")
    unknown = service.ask("what prison sentence did orrin vale receive")
    assert unknown.abstained, unknown.answer


def test_the_sentence_with_the_answer_beside_the_role_leads(service, tmp_path) -> None:
    add_written_article(
        service, tmp_path, "Harrow Telecom board fight",
        "Harrow Telecom directors Ines Harrow and Paul Okafor had opposed the CEO change at Harrow Telecom. "
        "Harrow Telecom's shares rose after Chief Executive Officer Lena Voss said the network would double its "
        "fibre reach. Ines Harrow wrote to Harrow Telecom's board about the CEO change in May.")
    chief = service.ask("who is harrow telecom ceo")
    assert "Lena Voss" in chief.quotes[0].text  # the name in the role's title, not beside "the CEO change"
    assert chief.short_answer in (None, "Lena Voss"), chief.answer  # the directors are never shown


def test_a_role_held_at_another_company_or_another_role_is_not_the_answer(service, tmp_path) -> None:
    add_written_article(
        service, tmp_path, "Pellmore names a new board",
        "Pellmore's board now consists of Pellmore's chief scientist Ada Brandt; Orbel CEO Kwame Lund; and "
        "investor Rosa Imrie. Tomas Varga had just been promoted to Chair and CEO of Pellmore in March. "
        "Pellmore sells about 40,000 tickets a month.")
    chief = service.ask("who is the ceo of pellmore")
    assert chief.short_answer == "Tomas Varga", chief.answer
    body = "Pellmore's board is Ada Brandt; Orbel CEO Kwame Lund; and Rosa Imrie."
    lund = TypedSpan(body.index("Kwame"), body.index("; and"), ("person",))
    assert titled_elsewhere(body, 0, lund, "runs", ("Pellmore",))  # asked who runs Pellmore
    assert not titled_elsewhere(body, 0, lund, "runs", ("Orbel",))
    # Orbel's chief executive is Kwame Lund, titled so; asked about Orbel, he is the answer.
    assert service.ask("orbel ceo?").short_answer == "Kwame Lund"
    coach = "Jets head coach Robert Saleh is letting the crew hear it."
    saleh = TypedSpan(coach.index("Robert"), coach.index(" is"), ("person",))
    assert titled_elsewhere(coach, 0, saleh, "coach", ("Chiefs",))  # "head" is part of the Jets' title
    assert not titled_elsewhere(coach, 0, saleh, "coach", ("Jets",))


def test_a_typo_one_article_shares_is_corrected_and_a_former_holder_is_not_the_ceo(service, tmp_path) -> None:
    cities = "Leeds York Bath Derby Hull Ely Wells Truro Exeter Durham Carlisle Bangor Newry Perth Stirling".split()
    paths = []
    for number, city in enumerate(cities + [c + " East" for c in cities[:11]]):
        paths.append(tmp_path / f"store-{number}.txt")
        paths[-1].write_text(f"Korvath Communications opens shop {number} in {city}\nSource: Valley Ledger\n"
                             f"Date: 2024-05-{number % 28 + 1:02d}\n\nKorvath Communications opened shop number "
                             f"{number} in {city} on Monday, with {number + 3} staff hired from nearby towns.\n")
    paths.append(tmp_path / "typo.txt")
    paths[-1].write_text("Korvath shares slip\nSource: Valley Ledger\nDate: 2024-06-01\n\n"
                         "Shares of Korvath Comunications fell 3% on Monday after the feud became public, "
                         "analyst Hans Korbach said.\n")
    paths.append(tmp_path / "feud.txt")
    paths[-1].write_text(
        "Sister accuses brother of a vendetta in family feud\nSource: Valley Ledger\nDate: 2024-06-02\n\n"
        "Five Korvath Communications directors were fired in May. The Korvath siblings were close to a deal, "
        "according to a letter sent to Chief Executive Officer Lena Voss. The committee wants every letter "
        "between Ines Korvath and former CEO Piet Hahn.\n")
    assert service.add_paths(paths).ok
    chief = service.ask("who is korvath comunications ceo")
    assert chief.answer.startswith("Showing results for “Korvath Communications”"), chief.answer
    # Named "Korvath" in the sentence, in full elsewhere in its article; the former CEO is no answer.
    assert chief.short_answer == "Lena Voss", chief.answer
    assert service.ask("who was the ceo of korvath communications before lena voss").short_answer != "Lena Voss"
    # A rare word two letters from a common name is a name of its own, not a typo.
    assert "Showing results" not in service.ask("what did korbach say about the shares").answer


# Each: an article written for the test, a member's question, and the one short answer it holds.
WRITTEN_SHORT_ANSWERS = {
    # what follows "an increase from ..." in its clause describes the earlier value
    "a value in the clause after an increase from is the earlier one": (
        "Mara Quell's Lanterns Tour tickets",
        "In May, the Ledger found that the average cost of a ticket for the Lanterns Tour was $412 — a 96% "
        "increase from her 2019 Harbour Tour, where the average price for a ticket was $210. "
        "Fans queued for hours at every stop.",
        "average price of a lanterns tour ticket?", "$412"),
    "an amount paid for another named thing is not the answer": (
        "Dana Kell agrees Lyon Athletic deal",
        "The race for Lyon Athletic was a shootout between Dana Kell, who had previously offered £2bn to buy "
        "Harrow Rovers, and a Gulf fund. For paying £600m for her 30% stake, Kell gains control of the "
        "academy on Monday.",
        "how much is dana kell paying for her lyon athletic stake?", "£600m"),
    "a successor named replaces the one before": (
        "Harrow Hawks part ways with coach Ines Rook",
        "The Harrow Hawks have relieved head coach Ines Rook of her duties, the team said on Monday. "
        "The Ledger's Omar Pike reports the Hawks will be naming former Lyon bench boss Tomas Varga as "
        "Rook's successor. Rook led the Hawks for three seasons.",
        "who replaced ines rook as the hawks head coach", "Tomas Varga"),
    # a count followed by what it counts is no count of anything else
    "a count of another thing is not the count asked for": (
        "Orbit Maps passes a milestone",
        "Each month Orbit Maps links people to partner shops more than 40 million times, the company said. "
        "Orbit Maps was founded in Tallinn.",
        "how many people work at orbit maps", None),
    "the count of the thing asked for wins over a count of another": (
        "Orbit Maps hires in Riga",
        "Orbit Maps sends riders to partner shops more than 40 million times each month. Orbit Maps now has "
        "1,250 employees, the company said on Monday.",
        "how many people work at orbit maps", "1,250"),
    # the member describes the company in words the sentence does not hold; the title says whose CEO
    "a role held by title answers though the question describes the company": (
        "Lumenfold raises $8 million to grow",
        "Speaking to the Ledger, CEO and co-founder Mara Quell pushed back on investor Tomas Varga's view that "
        "every shop will one day run its own bank. The round was led by Harbor Ventures.",
        "who is the ceo of lumenfold the payments startup", "Mara Quell"),
}
WRITTEN_SHORT_ANSWERS |= {
    "who shares the news of a new chief is not the chief": (
        "Pellmore names a new chief",
        "Lena Voss, Pellmore's former head of sales, will be the company's new CEO, Tomas Varga shared in a "
        "post on Tuesday. Varga founded Pellmore in Leeds in 2015 and is stepping down after a fine.",
        "who is the new pellmore ceo", "Lena Voss"),
}
WRITTEN_SHORT_ANSWERS |= {
    "a size asked for is a number with its unit": (
        "Pellmore's thin panels",
        "Each Pellmore solar panel is typically only about 2 millimeters thick. The company sold 40,000 panels "
        "across 12 countries last year.",
        "how thick is a pellmore panel", "only about 2 millimeters"),
}
_LUMEN = ("Pellmore's Lumen plans", "Lumen tickets are $19.89 for adults and $9.99 for children. The Lumen 3, "
          "launched in 2022, will be followed by the Lumen 4 next spring, Pellmore said.")
WRITTEN_SHORT_ANSWERS |= {
    "the figures of a price are no count": (*_LUMEN, "how many lumen tickets were sold", None),
    "a year before its article is not when the next one comes": (*_LUMEN, "when is the next lumen coming out", None),
}
# A count another holds, what is only expected, and a score are not what was counted or made.
_QUELL = ("Mara Quell passes a milestone",
          "A day after the two posted their videos, Dana Kell had around 12,000 subscribers. "
          "Last month Quell passed 90 million followers. Quell's ongoing Lantern Tour "
          "is expected to gross some $2 billion. So far the Lantern Tour is estimated to have grossed "
          "over $900m. The Harrow Hawks took the lead late in the game and held on to earn the win, 23-20.")
WRITTEN_SHORT_ANSWERS |= {
    "a count another holds is not the count asked for": (*_QUELL, "how many subscribers does mara quell have", None),
    "a pronoun's count is the name's that held one before it": (
        "Dana Kell's big week",
        "On Sunday, the day after she and Mara Quell posted their videos, Dana Kell had about 3,000 subscribers, "
        "and by Friday she's broken 80,000.",
        "how many subscribers does mara quell have", None),
    "what a tour made is what it grossed, not what it is expected to": (
        *_QUELL, "how much did quell's lantern tour make", "over $900m"),  # its bound is said too
    "a score counts no games and an amount counts none": (*_QUELL, "how many games did the harrow hawks win", None),
}
_DAILY_FINE = ("Regulator fines Orbel", "The regulator set a daily fine of up to 2 million crowns (about $190,000) "
               "per day until Orbel stops tracking users without consent.")
WRITTEN_SHORT_ANSWERS |= {
    "a day's rate is not the amount asked for": (*_DAILY_FINE, "how much did orbel get fined", None),
    "unless the question asks the rate": (*_DAILY_FINE, "how much is orbel fined per day", "about $190,000"),
    "a month's price is the price": (
        "Orbel Plus launches", "Orbel Plus costs $9.99 a month in the US.", "how much is orbel plus", "$9.99"),
}
# A count of those who joined or left, or are being cut, is no total, unless the question asks the change.
_TRIMS = ("Northwind Airlines trims staff", "In total, about 1,200 people have lost their jobs at Northwind "
          "Airlines since March. Laura Bennett said the airline would keep flying every route.")
WRITTEN_SHORT_ANSWERS |= {
    "a count of those who left is no total": (*_TRIMS, "how many employees does northwind airlines have", None),
    "unless the question asks who left": (
        *_TRIMS, "how many people lost their jobs at northwind airlines", "about 1,200"),
}
_CUTS = ("Orbel cuts jobs", "Orbel makes cuts: Orbel is eliminating about 1,400 jobs, or roughly 12% of its "
         "workforce, in its second round of layoffs this year.")
WRITTEN_SHORT_ANSWERS |= {
    "a count being cut is no total": (*_CUTS, "how many people work at orbel", None),
    "unless the question asks the cut": (*_CUTS, "how many jobs is orbel cutting", "about 1,400"),
}
WRITTEN_SHORT_ANSWERS |= {
    "places named as opponents say no where": (
        "Harrow Hawks line up friendlies", "The Harrow Hawks continue their preparations for the 2026 Lantern Cup "
        "with friendlies against Germany and Ghana this month.", "where will the 2026 lantern cup be", None),
    "a city and its country are one place": (
        "Orbel builds abroad", "Months after Orbel announced the opening of its new plant in Tampere, Finland, "
        "its shares rose.", "where is the orbel plant", "Tampere, Finland"),
}
WRITTEN_SHORT_ANSWERS |= {
    "a country is no company asked for": (
        "Old crashes, new rules for airlines",
        "Flight 394 crashed off Denmark in September 1989 when its tail fin broke away, and all 55 people on "
        "board died. Investigators blamed fake parts sold to airlines.",
        "what airline had a crash", None),
}
# A part of the revenue, by source or kind, is not the revenue asked for, unless it is the part asked for.
_LEDGER = ("The Ledger Group's finances",
           "The Ledger Group need not name its donors, but it reported $8.4 million in revenue from "
           "contributions and grants across 2020 and 2021. It also booked $76 million in subscription revenue in "
           "2021. The group's revenue has grown by 685% in two years, to $122 million in 2021.")
WRITTEN_SHORT_ANSWERS |= {
    "a part of the revenue is not the revenue": (*_LEDGER, "how much revenue did the ledger group make in 2021",
                                                 "$122 million"),
    "the part of the revenue asked for": (*_LEDGER, "how much subscription revenue did the ledger group make in 2021",
                                          "$76 million"),
}
WRITTEN_SHORT_ANSWERS |= {
    "a change by an amount is not the amount asked for": (
        "Orbel Rides reports its third quarter",
        "Orbel Rides told investors its Q3 revenue took a hit when some marketing costs were booked as "
        "contra revenue by $161 million. Orbel Rides opened in Lyon.",
        "orbel rides q3 revenue", None),
    "'of their own' owns nothing": (
        "Hawks vs Foxes live", "10:24 p.m.: The Lyon Foxes hand the ball straight back to the Harrow Hawks after a "
        "three-and-out of their own. The Hawks lead 14-7 at the half.", "who owns the harrow hawks", None),
}
# A thing asked for by its kind is named beside that noun, quoted or capitalised, after it or before it.
_KELL = ("Dana Kell takes her game to London",
         "Dana Kell spends most weeks on the road for women's sport. This month she watched the final in Melbourne "
         "and is setting up a London office for a tennis venture. Kell recently started the production company "
         "“Second Serve,” named after a line she likes. Before tennis, Kell sang in the indie band Paper Lanterns "
         "with her brother Tomas. Her team now tests Orbel's Kestrel drone for deliveries to courts.")
WRITTEN_SHORT_ANSWERS |= {
    "a quoted name after the kind asked for": (*_KELL, "what's the name of dana kell's production company",
                                               "Second Serve"),
    "a capitalised name after the kind asked for": (*_KELL, "dana kell's old band?", "Paper Lanterns"),
    "a name before the kind asked for": (*_KELL, "what is kell's team's drone called", "Kestrel"),
    "the kind asked for in a capitalised title is another title": (
        "Lumen review", "Lumen joins a short list of films (such as 1995’s The Harrow Hills Movie and 2007’s "
        "Kestrel) that mock a household icon while loving it. Margot Pike is a perfect Lumen.",
        "what is the name of the movie about lumen", None),
    "a description before the kind asked for is no name": (
        "Orbel adds a voice", "Orbel announced that it is adding a new voice to the AI-powered chatbot. "
        "Orbel did not say when the voice would reach Lyon.", "what's orbel's chatbot called", None),
}


_PLEA = ("Northwind Airlines pleads guilty",
         "Under Laura Bennett's plea agreement, she will agree that the court impose a $2 million fine to the "
         "regulator. Northwind Airlines has not said what it will pay.")
_RIVALS = ("Northwind Airlines and its rivals",
           "Northwind Airlines has grown fast this year. Combination showing Omar Pike (L) and Laura Bennett (R), "
           "founder and chief executive officer of Skyline Jets.")
_MEDAL = ("Harrow Medal winners named", "On Monday, Laura Bennett won the Harrow Medal in chemistry for her work on "
          "batteries. The Harrow Medal is given each year.")
_PHONES = ("Orbel phones compared",
           "Released May 2, the Orbel X2 is sold to buyers of the Orbel Plus plan. The Orbel X1 is still on sale.")
WRITTEN_SHORT_ANSWERS |= {
    "an amount in a sentence of another name only is that one's": (
        *_PLEA, "how much was northwind airlines fined", None),  # the fine is Bennett's
    "... and is the answer asked of that name": (*_PLEA, "how much was laura bennett fined", "$2 million"),
    "a person given another company's role did not do the act": (
        *_RIVALS, "who founded northwind airlines", None),  # she founded Skyline Jets
    "... but did it for that company": (*_RIVALS, "who founded skyline jets", "Laura Bennett"),
    "a winner of the prize in another field did not win the one asked": (
        *_MEDAL, "who won the harrow peace medal", None),  # she won it in chemistry
    "... but did win that field's": (*_MEDAL, "who won the harrow medal in chemistry", "Laura Bennett"),
    "an opening participle dates the subject after it": (
        *_PHONES, "when was the orbel x1 released", None),  # May 2 is the X2's
    "... which it answers": (*_PHONES, "when was the orbel x2 released", "May 2"),
}


def _cut_then_whole(title: str, body: str, cut: str, lacking: tuple[str, str],
                    answering: tuple[str, str, str]) -> dict[str, tuple[str, str, str, str | None]]:
    """Two cases on one written article: its text before ``cut`` gives no short answer to the
    question of ``lacking`` (case, question); the whole text answers ``answering`` (case,
    question, answer) from the sentence after the cut."""
    (lacking_case, lacking_question), (case, question, answer) = lacking, answering
    return {lacking_case: (title, body.split(cut)[0], lacking_question, None), case: (title, body, question, answer)}


_CUT_THEN_WHOLE = (  # (title, body, cut, (case, question) lacking, (case, question, answer) answering)
    ("Orbel skips the trade show", "Orbel cancelled its talks at the Harrow trade show in March, citing the cost of "
     "the ongoing dock strike. The dock strike began on May 4, the union said.", " The dock",
     ("an act said only in a participle's clause after the date is not what it dates",
      "when did the dock strike start"),
     ("... while its own sentence answers", "when did the dock strike begin", "May 4")),
    ("Harrow Rovers v Lyon Athletic: live", "9:12 p.m. — Fans of the Vela sit-in cheer Pike, and that is the end of "
     "the half. The Vela sit-in ended on June 3 after a vote.", " The Vela",
     ("a time opening a sentence before a dash stamps a live blog's entry", "when did the vela sit-in end"),
     ("... while a date inside a sentence answers", "when did the vela sit-in end", "June 3")),
    ("Orbel launches the Vela phone", "A new chat tool joins the Vela customization app Brass, which has ten million "
     "users. Orbel's new smartphone, the Vela Nine, goes on sale in May.", " Orbel's",
     ("a name after another kind of product is that kind's", "what is the new vela called"),  # an app's name
     ("... while the kind asked names it", "what is orbel's new smartphone called", "the Vela Nine")),
    ("How a handicap bet works", "A bet on Dana Kell at +3.5 pays if she wins outright or Mira Osei wins the Harrow "
     "Open by fewer than four games. Mira Osei won the Lyon Open on Sunday.", " Mira Osei won",
     ("a name under a condition is not said to have done it", "who won the harrow open"),
     ("... while a plain sentence says who did", "who won the lyon open", "Mira Osei")),
    ("Harrow dockers walk out", "The Harrow dockers walked out today over pay. The Lyon dockers walked out on May 4 "
     "over pay.", " The Lyon",
     ("a date that only says when the article was written is no answer in bold",
      "when did the harrow dockers walk out"),
     ("... while a date of the calendar is", "when did the lyon dockers walk out", "May 4")),
    ("Aid waits at the Harrow border", "Over the 12 days leading up to the Harrow truce, aid lorries queued at the "
     "border. The Lyon truce lasted four days.", " The Lyon",
     ("a time leading up to something is not how long it lasts", "how long is the harrow truce"),
     ("... while its own length is", "how long did the lyon truce last", "four days")),
)
for row in _CUT_THEN_WHOLE:
    WRITTEN_SHORT_ANSWERS |= _cut_then_whole(*row)
WRITTEN_SHORT_ANSWERS |= {
    "a day named with the event asked is no date of it": (
        "Harrow Bowls Sunday plans", "Lyon expect record crowds on Harrow Bowls Sunday, the organisers said.",
        "when is the harrow bowls", None),
    "a name holding a word the question asks about is the thing asked, not the answer": (
        "Lyon beat Harrow in the cup tie", "From the first whistle, Lyon made life hard for the reigning Kessler "
        "Trophy winner.", "who won the kessler", None),  # the trophy is no winner
    "a date before 'is when' dates the act after it": (
        "Everything to know about the Vela phone", "Orbel sells it in Lyon. May 4, 2023 is when the Vela phone was "
        "released to buyers.", "when was the vela phone released", "May 4, 2023"),
    "a year a sentence measures from dates no earlier game": (
        "Harrow Hawks rout Lyon", "The Hawks ended the night in style on Saturday, routing Lyon, 42-18, for their "
        "first win over Lyon since 2015. Omar Pike ran for two touchdowns.", "what was the score hawks lyon",
        "42-18"),
    "a name with stops is the name a member types without them": (
        "Orvo's K.O. III sampler reviewed", "At $249, the K.O. III is a bargain for a sampler. Orvo sold 20,000 "
        "samplers last year.", "how much is the ko iii", "$249"),
    "a year measured from is not when the act was done": (
        "Orbel ships the Vela", "Deliveries of the Vela, Orbel's first new phone since 2021, began in Lyon, where "
        "buyers queued. The Vela costs $499.", "when did vela deliveries begin", None),
    "a count the question gives must be in the answering sentence": (
        "Top scorers of the Harrow league", "Omar Pike, who has scored nine goals for Lyon this year, is also the "
        "first player to score in six straight games. Mira Osei leads the league.", "which player scored 50 goals",
        None),
    "a team someone fell short of winning with did not win": (
        "Is Omar Pike the most overlooked star?", "Despite stars like Mira Osei as teammates, Pike once again fell "
        "short of winning a title with the Lyon Hawks. He joined them in 2022.", "which team won the title",
        None),
    "the particles of a surname belong to the full name": (
        "Lyon gets a new mayor", "Lyon's new mayor, Ines van der Berg, took office on Monday after a long count. "
        "The council met on Tuesday.", "who is the mayor of lyon", "Ines van der Berg"),
    "an act over after a time is not what is so now": (
        "Mira Osei's love life", "Back in April, it was revealed that Mira Osei and actor Tomas Varga had broken up "
        "after six years of dating. There were rumours Osei was dating again, after she attended a Lyon Hawks game.",
        "who is mira osei dating", None),
    "... while it answers what was": (
        "Mira Osei's love life", "Back in April, it was revealed that Mira Osei and actor Tomas Varga had broken up "
        "after six years of dating. There were rumours Osei was dating again, after she attended a Lyon Hawks game.",
        "who did mira osei date", "Tomas Varga"),
    "a product named without the act asked is not the one launched": (
        "Orbel v. Harrow, explained", "Orbel will say that every Vela phone has a competing app store right there on "
        "the home screen. Harrow says the store was blocked.", "what phone did orbel launch", None),
    "an amount of an earlier round is not the one raised now": (
        "Korvath raises $40M on a flat valuation", "Korvath has raised $40 million in new funding. This was the same "
        "valuation Korvath had the last time it raised money — $90 million in 2021, a round led by Harbor Ventures.",
        "how much did korvath raise", "$40 million"),
    "a general manager is not the manager asked for": (
        "Lyon Hawks news", "Lyon's general manager Ines Rook will stay at the club. The Hawks play Harrow on Sunday.",
        "who is the lyon manager", None),
    "the one replaced is not the new holder": (
        "Pellmore gets a new CEO", "Pellmore announced a doozy this week: it is replacing founder CEO Mara Quell with "
        "Tomas Varga, who ran sales at Orbel. Quell will stay on the board.", "who is pellmore's new ceo",
        "Tomas Varga"),
    "an act on another object is not the act asked about": (
        "Pike looks past Osei mistake and stakes future on his Lyon DNA", "Lyon coach Omar Pike made Mira Osei his "
        "captain because of her leadership and the respect she has from the club. The Hawks play Harrow on Sunday.",
        "who made the mistake for lyon", None),
    "a thing someone else buys is not one the subject bought": (
        "Orbel v. Harrow, explained", "But Orbel will say the real competition is from Harrow, because people can "
        "choose to buy a Vela instead. Orbel bought Lumo in 2021.", "who did orbel buy", None),
    "an act undone after it is no answer": (
        "Referee apologies list", "Soon after Pike was sent off, Omar Osei scored to put Lyon 1-0 up despite their "
        "disadvantage, but the flag went up for offside. Harrow won 2-0.", "who scored for lyon", None),
    "a win that qualifies a noun is no win": (
        "Harrow MVP odds", "LYON HAWKS | QB Omar Pike: Pike has inserted himself into the league MVP conversation "
        "during his team's four-game win streak. The vote is in May.", "who won the mvp", None),
    "one the subject could beat is not one it beat": (
        "Dana Kell eyes a title shot", "Dana Kell could beat Omar Pike in May, her coach said on Monday. Kell trains "
        "in Lyon.", "who did dana kell beat", None),
    "... while it answers who could be beaten": (
        "Dana Kell eyes a title shot", "Dana Kell could beat Omar Pike in May, her coach said on Monday. Kell trains "
        "in Lyon.", "who could dana kell beat", "Omar Pike"),
    "a place the sentence says one is not headed to is not where one goes": (
        "Omar Pike rumors tracker: latest on the free agent's future", "Omar Pike not headed to Toronto, his agent "
        "says. Omar Pike is the best free agent on the market.", "where is omar pike going", None),
    "money secured as funding is the money raised": (
        "Korvath grows in Leeds", "Rents in Leeds rose by $150 a month this year, the council said. Korvath, a "
        "lettings start-up, has secured $14 million in funding to buy more homes.", "how much did korvath raise",
        "$14 million"),
}


@pytest.mark.parametrize("case", list(WRITTEN_SHORT_ANSWERS))
def test_a_written_article_gives_its_short_answer(service, tmp_path, case: str) -> None:
    title, body, question, expected = WRITTEN_SHORT_ANSWERS[case]
    add_written_article(service, tmp_path, title, body)
    answer = service.ask(question)
    assert answer.short_answer == expected, answer.answer


def test_vs_between_two_sides_is_no_term_a_sentence_must_hold(service) -> None:
    with service.answerer.kb.reader() as snap:
        focus = read_focus(snap, "what was the final score of xiaomi vs hyundai")
    assert "vs" not in focus.weights and {"xiaomi", "hyundai"} <= set(focus.weights)


def test_a_role_asked_of_no_one_named_gets_no_name(service, tmp_path) -> None:
    add_written_article(
        service, tmp_path, "Pellmore hires a chief",
        "Lena Voss only started as CEO at Pellmore last year, stepping in for another founder CEO, Tomas Varga. "
        "Customers who face lawsuits over IP claims will have their legal costs paid by Pellmore.")
    assert service.ask("who is the ceo of x").short_answer is None  # "x" names nothing the articles know
    assert service.ask("who is suing pellmore").short_answer is None  # "IP" is a field, not a party


def test_a_head_coach_is_no_president_and_a_team_that_titles_another_player_is_theirs(service, tmp_path) -> None:
    add_written_article(
        service, tmp_path, "Orbelia name squad for qualifiers",
        "Orbelia head coach Tomas Varga named a 36-man squad for the matches against Lyon this month. "
        "Fans queued for hours at every stop.")
    assert service.ask("who is the president of orbelia").short_answer is None
    team = Focus("what team does dana kell play for", names=("Dana Kell",))
    body = "Lyon Rovers midfielder Omar Pike said so, and Harrow Athletic forward Dana Kell agreed."
    rovers, harrow = (TypedSpan(body.index(n), body.index(n) + len(n), ("organization",))
                      for n in ("Lyon Rovers", "Harrow Athletic"))
    assert _someone_elses(body, len(body), rovers, team) and not _someone_elses(body, len(body), harrow, team)


def test_a_place_listed_after_one_said_as_a_place_is_where_too() -> None:
    body = "The Hawks play friendlies in Lyon, Tampere and Oslo, then against Germany and Ghana."
    def place(name: str) -> TypedSpan:
        return TypedSpan(body.index(name), body.index(name) + len(name), ("place",))
    assert all(_where_said(body, place(n)) for n in ("Lyon", "Tampere", "Oslo"))
    assert not any(_where_said(body, place(n)) for n in ("Germany", "Ghana"))


def test_the_person_asked_about_by_a_nickname_is_not_the_answer() -> None:
    focus = Focus("who will replace tvg", names=("TVG",))
    body = "Tomas Varga, also known as “TVG,” the founder of Pellmore, is stepping down; Lena Voss (LV) takes over."
    varga, voss = (TypedSpan(body.index(n), body.index(n) + len(n), ("person",)) for n in ("Tomas Varga", "Lena Voss"))
    assert _is_the_asked_by_alias(body, len(body), varga, focus)
    assert not _is_the_asked_by_alias(body, len(body), voss, focus)  # a nickname of her own
    bracketed = body.replace(", also known as “TVG,”", " (TVG)")
    assert _is_the_asked_by_alias(bracketed, len(bracketed), varga, focus)


def test_who_runs_a_firm_is_no_board_member_titled_by_another_role_or_firm(service, tmp_path) -> None:
    add_written_article(
        service, tmp_path, "Northwind Airlines names a new board",
        "Northwind Airlines said its board now consists of its chief scientist, Tom Hale, and three outsiders: "
        "Quora CEO Laura Bennett, tech investor Maria Lopez and Helen Park of the Harrow Institute.")
    runs = service.ask("who runs northwind airlines")
    assert runs.short_answer is None and runs.quotes, runs.answer  # a chief scientist runs no firm
    focus = Focus("who runs northwind airlines", names=("Northwind Airlines",))
    body = "Quora CEO Laura Bennett agreed, and Sam Altman told reporters Monday he would stay."
    quora, altman = (TypedSpan(body.index(n), body.index(n) + len(n), ("person",)) for n in ("Quora", "Sam Altman"))
    assert _someone_elses(body, len(body), quora, focus)  # tagged a person, titling another: a firm
    assert not _someone_elses(body, len(body), altman, focus)  # no role after him


def test_a_date_of_another_deal_and_a_part_of_the_day_are_no_answers(service, tmp_path) -> None:
    add_written_article(
        service, tmp_path, "Orbel closes its Pellmore deal",
        "Though the $9 billion Pellmore deal was the biggest in Orbel's history, its purchase of Harrow "
        "in 2016 came first. Dana Kell said the board was told on Thursday night that Omar Pike would be "
        "fired.")
    assert service.ask("when did orbel buy pellmore").short_answer is None
    body = "The board was told on Thursday night that Omar Pike would be fired."
    night = [EntitySpan(body.index("Thursday"), body.index(" night"), "DATE"),
             EntitySpan(body.index("night"), body.index("night") + 5, "DATE")]
    assert kinds_found(body, night)["date"] == ["Thursday"]  # "night" alone says no day
    phone = "We tested this case with the Orbel 14, but this one is for the Orbel 15."
    assert "date" not in kinds_found(phone, [EntitySpan(phone.index("14"), phone.index("14") + 2, "DATE")])


def test_a_year_that_is_its_clauses_subject_dates_nothing(service, tmp_path) -> None:
    add_written_article(
        service, tmp_path, "Northwind Airlines' booking app stays on top",
        "Travellers feared the Northwind Airlines booking app would crash at peak times, but as 2024 has "
        "worn on, the app has kept working. Laura Bennett, who runs it, says the app will get a new look.")
    launched = service.ask("when did the northwind airlines app come out")
    assert launched.short_answer is None, launched.answer  # the year is talked about, not when it came out


def test_an_age_is_answered_by_years_old_never_by_an_amount(service, tmp_path) -> None:
    add_written_article(
        service, tmp_path, "Northwind Airlines earns more",
        "Laura Bennett last projected revenues of about $3 billion for Northwind Airlines this year. "
        "Bennett, who is 48 years old, took over the airline in 2019.")
    age = service.ask("how old is laura bennett")
    assert age.short_answer == "48 years old", age.answer
    add_written_article(
        service, tmp_path, "Northwind Airlines picks a pilot",
        "Northwind Airlines named Omar Pike, a 52-year-old pilot, to fly its new route. Pike has flown "
        "for the airline for 25 years.")
    assert service.ask("how old is omar pike").short_answer == "52-year-old"


def test_a_span_that_says_the_act_is_no_one_who_did_it() -> None:
    assert _says_the_act("Winners List", "won")  # a heading, asked who won
    assert _says_the_act("Founders Fund", "founded")
    assert not _says_the_act("Laura Bennett", "won")
    assert not _says_the_act("CEO Laura Bennett", "ceo")  # a role may stand in a name's span


def test_a_place_answers_where_only_as_said_where_something_is() -> None:
    def said(body: str, place: str) -> bool:
        start = body.index(place)
        return _where_said(body, TypedSpan(start, start + len(place), ("place",)))

    assert said("The carrier opened a plant in Lisbon last year.", "Lisbon")
    assert said("Customers in College Station, Texas, get parcels by drone.", "Texas")
    assert said("It paused rides in every market, including Austin, Houston and Phoenix.", "Austin")
    assert said("The Porto-based carrier grew.", "Porto")
    assert said("Madrid will host the summit.", "Madrid")
    assert not said("Inside the trial: Rebecca and Laura Bennett report on day two.", "Rebecca")  # a person, mistagged
    assert not said("That may look like Madrid's best avenue.", "Madrid")  # a city's team


def test_a_place_that_owns_what_follows_is_not_where_it_is(service, tmp_path) -> None:
    add_written_article(
        service, tmp_path, "The race for the Northwind Airlines summit",
        "That was worth just under $20 million last year, so the cash may look like Madrid's best avenue "
        "toward keeping its Northwind Airlines summit window open. Laura Bennett, who runs Northwind "
        "Airlines, has not said where the summit will be.")
    where = service.ask("where is the northwind airlines summit")
    assert where.short_answer is None, where.answer  # Madrid's avenue is no place of the summit


def test_the_maker_asked_is_the_one_said_to_make_it(service, tmp_path) -> None:
    add_written_article(
        service, tmp_path, "A busy year for the Skylark app",
        "The demand for the Skylark app and its new features, like making custom trips, has led to a slew "
        "of resellers on Fleetbay. The company told reporters in April that the Skylark app would get a new "
        "look. Skylark app maker Northwind Airlines said on Monday that the app now has ten million users.")
    maker = service.ask("what company makes the skylark app")
    assert maker.short_answer == "Northwind Airlines", maker.answer  # not the resellers' Fleetbay, nor "The"


def test_the_class_noun_after_an_article_names_nothing(service, tmp_path) -> None:
    add_written_article(
        service, tmp_path, "Laura Bennett moves on",
        "Laura Bennett has left her job in Lisbon. The company told reporters in April that Laura Bennett "
        "would leave.")
    left = service.ask("what company did laura bennett leave")
    assert left.short_answer is None, left.answer  # "The" of "The company told" is no company's name


def test_a_name_listed_beside_the_one_asked_is_its_peer() -> None:
    focus = Focus("what team does laura bennett play for", names=("Laura Bennett",))
    assert listed_with("a special place in the hearts of Laura Bennett and ", ".", focus)
    assert listed_with("Fans of ", " or Laura Bennett came.", focus)
    assert not listed_with("Fans in ", ", Texas, cheered Laura Bennett.", focus)  # an apposition, no list
    assert not listed_with("Fans of Omar Pike and ", ".", focus)


def test_a_last_word_in_lower_case_does_not_name_the_product(service, tmp_path) -> None:
    add_written_article(
        service, tmp_path, "Streaming gear for the holidays",
        "The Apple TV 4K is our favorite premium streaming device and is currently $125 at Harrow Photo. "
        "Northwind Premium, the airline's paid tier from Northwind Airlines, also got a new look this year.")
    price = service.ask("how much is northwind premium")
    assert price.short_answer is None, price.answer  # "premium streaming device" names no Northwind Premium


def test_the_firm_a_role_is_held_at_is_not_the_person() -> None:
    assert _employer_of_a_role("Omar Pike, managing director of the hedge fund ")  # ... Harrow Capital, testified
    assert _employer_of_a_role("Laura Bennett, CEO of ")
    assert not _employer_of_a_role("Harrow Rugby's director of high-performance ")  # ... Omar Pike: a field, then him


def test_the_worth_of_several_is_no_price_of_one() -> None:
    focus = Focus("how much is a skylark token worth", names=("Skylark",))
    assert _a_lot_of_it("He held about 4 Skylark, which were worth about ", focus)
    assert _a_lot_of_it("She sold two Skylark tokens for ", focus)
    assert not _a_lot_of_it("In 2021 Skylark tokens traded at ", focus)  # a year counts nothing
    assert not _a_lot_of_it("One Skylark token trades at ", focus)


def test_a_year_that_labels_an_earlier_edition_is_not_when(service, tmp_path) -> None:
    add_written_article(
        service, tmp_path, "Looking back at the Harrow strike",
        "Laura Bennett, a scholar of labour economics, advised the union during the 2014 strike at Harrow "
        "Foods. The new Harrow Foods strike has shut three plants.")
    started = service.ask("when did the harrow foods strike start")
    assert started.short_answer is None, started.answer  # "the 2014 strike" is another strike


def test_an_amount_of_a_list_of_names_is_no_one_names(service, tmp_path) -> None:
    assert _one_of_a_list("Harrow, Orbel, Pellmore and many others exported $7 billion.", "Orbel")
    assert _one_of_a_list("Orbel and Harrow paid $2 million.", "Orbel")
    assert not _one_of_a_list("Orbel, the mill's owner, paid $2 million.", "Orbel")
    add_written_article(
        service, tmp_path, "Northwind Airlines keeps fares low",
        "Laura Bennett said a Northwind Airlines ticket may cost only a few dollars more this year.")
    fare = service.ask("how much does a northwind airlines ticket cost")
    assert fare.short_answer is None, fare.answer  # "a few dollars" says no amount


def test_an_amount_of_a_longer_name_is_not_the_shorter_ones(service, tmp_path) -> None:
    add_written_article(
        service, tmp_path, "Northwind results",
        "On an adjusted basis, Northwind Airlines Cargo lost $13 million in the third quarter compared to a "
        "$1 million profit in the same quarter last year. Northwind Airlines itself did not give a profit figure.")
    profit = service.ask("how much profit did northwind airlines make")
    assert profit.short_answer is None, profit.answer  # the unit Northwind Airlines Cargo's


def test_a_date_in_a_since_clause_is_of_the_earlier_event() -> None:
    assert in_a_since_clause("the biggest fight in aviation since the regulator took Harrow Air to court in ")
    assert not in_a_since_clause("Orbel has been the default maker since ")  # "since 2002" answers since when
    assert not in_a_since_clause("It grew since the start of ")
    assert not in_a_since_clause("Since the deal, which closed, the plant opened in ")  # another clause


def test_when_does_it_start_is_answered_by_from_a_month(service, tmp_path) -> None:
    add_written_article(
        service, tmp_path, "Orbel Ferries adds a night crossing",
        "Orbel Ferries will add a night crossing between Marrow Point and Estby from June, the operator said "
        "on Thursday. The crossing takes four hours and carries up to 300 passengers.")
    answer = service.ask("When does the Orbel Ferries night crossing start?")
    assert not answer.abstained, answer.answer  # the article says "from June", not "start"


def test_a_name_beside_the_act_is_not_the_doer_of_it(service, tmp_path) -> None:
    add_written_article(
        service, tmp_path, "Orbel Cup final preview",
        "Pundit Dana Kell described the two-time Orbel Cup winner's move to Harrow as a gamble. "
        "The Orbel Cup final will be played in Lyon on Sunday, and tickets sold out in an hour.")
    winner = service.ask("who won the orbel cup")
    assert winner.short_answer is None, winner.answer  # the pundit described the winner; no winner is named


def test_a_share_the_tagger_calls_money_is_a_percentage() -> None:
    body = "Quist agreed to buy a 25 per cent share in Orbel."
    tagged = [EntitySpan(body.index("25"), body.index(" share"), "MONEY")]
    found = kinds_found(body, tagged)
    assert "money" not in found and "25 per cent" in found["percent"]


def test_a_relative_date_is_not_shown_over_an_exact_one(service, tmp_path) -> None:
    add_written_article(
        service, tmp_path, "Orbel X2 reaches buyers",
        "Orbel celebrated the first Orbel X2 deliveries at a party last month. "
        "The Lyon plant handed over the first X2 cars to their buyers on May 28, a day behind plan.")
    when = service.ask("orbel x2 first deliveries when?")
    assert when.short_answer in (None, "May 28"), when.answer  # never "last month"



def test_the_questions_person_by_surname_is_not_the_answer_unless_a_relative_is_asked() -> None:
    beat = Focus("who did Jai Okonedo knock out", names=("Jai Okonedo",))
    assert beat.asks_about("Cruiserweight Okonedo") and not beat.asks_about("Ellis Marsh")
    assert not Focus("who is Jai Okonedo's brother", names=("Jai Okonedo",)).asks_about("Tomas Okonedo")


def test_an_earlier_years_winner_is_not_this_contests(service, tmp_path) -> None:
    # Published 2024-06-02; the question names no year, so it asks about this year's cup.
    add_written_article(
        service, tmp_path, "Harrow Cup final preview",
        "Orbel Rovers won the Harrow Cup in 1998, beating Lyon City in the final. "
        "This year's Harrow Cup final will be played in Lyon on Sunday.")
    winner = service.ask("who won the harrow cup")
    assert winner.short_answer is None, winner.answer  # not the 1998 winner


def test_the_questions_name_written_in_full_is_not_the_answer(service, tmp_path) -> None:
    add_written_article(
        service, tmp_path, "Brightwater buys Kestrel Dynamics",
        "Brightwater Systems bought Kestrel Dynamics for $40 million on Monday. "
        "Kestrel Dynamics makes drone sensors in Leeds, and Kestrel Dynamics staff will keep their jobs. "
        "Anna Berg, who founded Kestrel in 2011, will stay on. The kestrel, a small falcon, gave the firm its name.")
    buyer = service.ask("who bought kestrel")
    assert buyer.short_answer == "Brightwater Systems", buyer.answer


def test_a_name_in_capitals_is_a_dateline_not_an_answer() -> None:
    assert not _fits("HARROW ARENA", ("person",), set())
    assert _fits("Harrow Arena", ("organization",), set()) and _fits("NASA", ("organization",), set())


def test_a_sentence_two_articles_share_is_quoted_once(service, tmp_path) -> None:
    shared = "The Harbor Commission sued Orbel in May over its dock fees."
    for outlet, extra in (("Valley Ledger", "Orbel said it would fight the suit."),
                          ("Coastal Times", "Orbel's shares fell 3% on the news.")):
        path = tmp_path / f"{outlet}.txt"
        path.write_text(f"Orbel sued over dock fees\nSource: {outlet}\nDate: 2024-06-02\n\n{shared} {extra}\n")
        assert service.add_paths([path]).ok
    texts = [q.text for q in service.ask("did the harbor commission sue orbel").quotes]
    assert texts.count(shared) == 1 and len(texts) == len(set(texts)), texts


def test_a_count_is_taken_from_a_sentence_about_the_company_asked(service, tmp_path) -> None:
    add_written_article(
        service, tmp_path, "Every tech layoff of 2024 so far",
        "Orbel Systems\n\nOn March 3 the company confirmed laying off 129 people.\n\n"
        "Kestrel Dynamics\n\nKestrel Dynamics announced laying off 6% of its workforce, equating to 300 employees.")
    kestrel = service.ask("how many ppl did kestrel dynamics lay off")
    assert kestrel.short_answer == "300", kestrel.answer  # employees are people; the 129 are another company's


def test_who_plays_a_part_is_read_from_how_reviews_cast_it(service, tmp_path) -> None:
    add_written_article(
        service, tmp_path, "Tidewater season two review",
        "The second season of Tidewater opens in the winter of 1986, and sees Captain Elias Quill (Dana Okafor) "
        "feuding with Mayor Brandt (played by Lewis Ames) over the harbour. Julia Hartley shines as Lady Morrow "
        "in Tidewater, and the writers give her the best lines. Tidewater returns to Harbor TV on Friday.")
    assert service.ask("who plays elias quill").short_answer == "Dana Okafor"  # the bracket after the part
    assert service.ask("who plays mayor brandt in tidewater").short_answer == "Lewis Ames"  # not Dana Okafor
    assert service.ask("who played lady morrow in tidewater").short_answer == "Julia Hartley"  # "X as the part"


def test_the_part_a_person_is_cast_in() -> None:
    body = ("It sees Mayor Brandt (played by Lewis Ames) and Elias Quill (Dana Okafor); "
            "Julia Hartley shines as Lady Morrow.")

    def part(name: str) -> str | None:
        return cast_part(body, TypedSpan(body.index(name), body.index(name) + len(name), ("person",)))
    assert part("Lewis Ames") == "Mayor Brandt" and part("Dana Okafor") == "Elias Quill"
    assert part("Julia Hartley") == "Lady Morrow"
    assert part("Mayor Brandt") is None


def test_capitalised_words_the_tagger_passed_over_are_a_name_the_parse_must_link() -> None:
    body = "World No.4 Sinner, coached by Australia’s Darren Cahill, met the board that writes Old Board Rules."
    untagged = [body[t.start:t.end] for t in typed_spans(body, 0, len(body), []) if t.untagged]
    assert untagged == ["Darren Cahill"]  # "Old Board Rules": the article writes "board" in lower case
    at = body.index("Darren Cahill")
    assert takes_part(body, at, at + len("Darren Cahill"), "coaches", unsure=False)
    text = "Few presidential Executive Orders passed."
    assert not takes_part(text, text.index("Executive"), text.index(" passed"), "runs", unsure=False)


def test_since_when_is_answered_by_a_start_not_by_another_date(service, tmp_path) -> None:
    add_written_article(
        service, tmp_path, "Orbel's deal with Kestrel under scrutiny",
        "In 2021, Orbel paid $2 billion to make itself the default map app on Kestrel phones, the filing shows. "
        "Regulators say the payments are too high.")
    asked = service.ask("since when has orbel been the default map app on kestrel phones")
    assert asked.short_answer is None, asked.answer  # 2021 dates a payment, not the start of the deal
    add_written_article(
        service, tmp_path, "Kestrel phones and Orbel maps",
        "Kestrel phones have shipped with Orbel Maps since 2015, and in 2021 the two firms renewed the deal.")
    since = service.ask("since when do kestrel phones ship with orbel maps")
    assert since.short_answer == "2015", since.answer


def test_an_earlier_years_score_is_not_this_finals(service, tmp_path) -> None:
    # Published 2024-06-02: without a year, "the final" is this year's.
    add_written_article(
        service, tmp_path, "Harrow Cup final preview",
        "The 2019 Harrow Cup final between Orbel Rovers and Lyon City finished with a 32-12 score, a record. "
        "This year's Harrow Cup final will be played in Lyon on Sunday.")
    score = service.ask("what was the score in the harrow cup final")
    assert score.short_answer is None, score.answer
    assert service.ask("what was the score in the 2019 harrow cup final").short_answer == "32-12"


def test_the_side_beaten_does_not_win_and_last_years_loser_did_not_lose_this_year(service, tmp_path) -> None:
    add_written_article(
        service, tmp_path, "Harrow Cup: Orbel's day",
        "Orbel Rovers went on to win their first Harrow Cup, defeating the Lyon Lions in the final. "
        "Kestrel City, who lost last year's Harrow Cup final to Vantor, went out in the first round.")
    winner = service.ask("who won the harrow cup")
    assert winner.short_answer in (None, "Orbel Rovers"), winner.answer  # never the side beaten
    loser = service.ask("who lost the harrow cup final")
    assert loser.short_answer != "Kestrel City", loser.answer  # that was last year's final


def test_who_one_beat_is_the_side_beaten_never_the_prize_or_another_bouts(service, tmp_path) -> None:
    add_written_article(
        service, tmp_path, "Quell stops Kell in Riyadh",
        "Mara Quell made short work of an outclassed Dana Kell, ending it with a first-round knockout in "
        "Riyadh. Quell broke her jaw twice on the way to upsetting Sarah Briggs to win the IBF and Ring belts "
        "last year. On Saturday the Harrow Hawks beat the Lyon Foxes 24-17 at home.")
    assert service.ask("who did the hawks beat").short_answer == "the Lyon Foxes"
    assert service.ask("who did quell upset last year").short_answer == "Sarah Briggs"  # not the belts won
    belt = service.ask("who won the ibf belt last year")
    assert belt.short_answer in (None, "Mara Quell"), belt.answer  # never the other belt
    riyadh = service.ask("who did mara quell knock out in riyadh")
    assert riyadh.short_answer in (None, "Dana Kell"), riyadh.answer  # Briggs was beaten elsewhere


def test_who_a_side_lost_to_is_the_place_it_lost_to_never_a_player_it_lost(service, tmp_path) -> None:
    add_written_article(
        service, tmp_path, "Harrow Hawks fall to Denver in overtime",
        "The Harrow Hawks lost 27-24 to Denver in overtime on Sunday night. Given the state of the Harrow "
        "line after losing guard Dana Kell to a season-ending injury, few expected the Hawks to keep the "
        "game close. Quarterback Milo Brandt threw for 310 yards.")
    assert service.ask("who did the hawks lose to").short_answer == "Denver"  # a city as a side is a team


def test_when_it_was_done_is_not_when_it_was_said_to_come(service, tmp_path) -> None:
    add_written_article(
        service, tmp_path, "Orbel Foods board moves against its chief",
        "Orbel Foods chief executive Laura Bennett was told on Tuesday that she would be dismissed. Her "
        "deputy, Tom Hale, is in talks with the board to take over as soon as next week.")
    dismissed = service.ask("when was laura bennett dismissed")
    assert dismissed.short_answer is None and dismissed.quotes, dismissed.answer  # Tuesday dates the telling
    assert service.ask("when did tom hale take over").short_answer is None  # he is only in talks to
    assert service.ask("when will tom hale take over").short_answer == "next week"


def test_an_amount_in_a_quoted_title_is_no_amount_won(service, tmp_path) -> None:
    add_written_article(
        service, tmp_path, "Two strangers finish a year in one room",
        "The two contestants who just won $90,000 each for living in a bare room for a year are back home. "
        "One of the 50 contestants in a video called “Last One Out Of The Pool Wins $250,000” cried when she "
        "won a few hundred dollars.")
    assert service.ask("how much did the two contestants win").short_answer == "$90,000"
    assert service.ask("how much did the contestants win").short_answer != "$250,000"  # the video's title


def test_a_real_name_is_the_name_written_around_the_nickname(service, tmp_path) -> None:
    add_written_article(
        service, tmp_path, "Streamer quits after ban",
        "The row centres on Maria “Vantorqueen” Lopez, a streamer with two million followers. Lopez said on "
        "Monday she would stop streaming for a month. Her rival, Tom “Hollowgrin” Hale, declined to comment.")
    queen = service.ask("whats vantorqueen's real name")
    assert queen.short_answer == "Maria Lopez" and "Vantorqueen" in queen.quotes[0].text, queen.answer
    assert service.ask("what is hollowgrin real name").short_answer == "Tom Hale"  # not the first one written


def test_a_bare_title_belongs_to_the_firm_the_sentence_last_named(service, tmp_path) -> None:
    add_written_article(
        service, tmp_path, "Harrow Bank settles with regulators",
        "Harrow Bank agreed to pay a $40 million penalty on Monday. A Northwind Airlines spokesperson declined "
        "to comment, but CEO Laura Bennett told reporters the Harrow Bank settlement was good news for the industry.")
    assert service.ask("who is the ceo of harrow bank").short_answer is None  # Northwind's CEO
    assert service.ask("who is northwind airlines ceo").short_answer == "Laura Bennett"


def test_a_count_another_name_reached_is_not_the_asked_ones(service, tmp_path) -> None:
    add_written_article(
        service, tmp_path, "Chat apps race for users",
        "Orbel Chat, the newest messaging app, got 5 million sign-ups within a week; the older app Hollowgram "
        "has 3 million monthly users; and the small upstart Vantor hit 2 million users in May.")
    assert service.ask("how many users does orbel chat have").short_answer is None  # Vantor's users
    assert service.ask("how many users does vantor have").short_answer == "2 million"


def test_another_model_of_the_named_line_is_no_answer() -> None:
    # A unit test: written articles did not get the tagger to take "the Orbel 7 Max" for a company.
    focus = Focus("which company makes the orbel 8", names=("Orbel 8",))
    assert _another_model("the Orbel 7 Max", focus) and not _another_model("Harrow Phones", focus)
    assert not _another_model("Orbel 8", focus)  # the name itself is asks_about's to drop
    assert not _another_model("Hyundai Motor", Focus("who owns beijing hyundai", names=("Beijing Hyundai",)))


def test_a_name_is_shown_as_the_articles_mostly_spell_it() -> None:
    bodies = ["Commissioner Tony Petitti said the league would act. Petitti added more.",
              "Big Ten commissioner Tony Petitti met the coaches; Tony Petitti spoke after.",
              "Tony Pettiti, the commissioner, declined to comment."]
    assert usual_spelling("Tony Pettiti", bodies) == "Tony Petitti"
    assert usual_spelling("Tony Petitti", bodies) == "Tony Petitti"
    assert usual_spelling("Tony Marsh", [*bodies, "Tony Marshall spoke. Tony Marshall left."]) == "Tony Marsh"


def test_a_person_made_the_role_right_after_the_name_holds_it() -> None:
    def made(body: str, name: str, role: str = "ceo") -> bool:
        start = body.index(name)
        return _made_role(body, len(body), TypedSpan(start, start + len(name), ("person",)), role)
    assert made("Rook was (belatedly, some say) named Chair & CEO of Harrow Records.", "Rook")
    assert made("Ines Rook became chief executive officer, the label said.", "Ines Rook", "officer")
    assert not made("It asked for letters between Tomas Varga and former CEO Ines Rook.", "Tomas Varga")
    assert not made("Tomas Varga said Ines Rook was named CEO.", "Tomas Varga")


def test_a_live_blogs_time_zone_is_no_winner_and_a_team_that_never_won_is_none(service, tmp_path) -> None:
    add_written_article(
        service, tmp_path, "Ferrin Cup final – live",
        "12 May 2024 21.40 GMT The Harrow Hawks win the Ferrin Cup The Harrow Hawks, on the back of two goals "
        "from Dana Kell, beat Lyon Rovers 2-1 in the final. 12 May 2024 20.55 GMT Kell scores again.")
    assert "Harrow Hawks" in (service.ask("who won the ferrin cup").short_answer or "")
    # A negated win names no winner, and a name that is not a person's gets no first name ("Every Orbel").
    add_written_article(service, tmp_path, "The cup's long waits",
                        "Watch: Every Orbel League Team That Has Never Won the Marlow Shield")
    assert service.ask("who won the marlow shield").short_answer is None


def test_a_span_holding_the_event_the_question_names_is_not_its_answer() -> None:
    focus = Focus("which team won the ferrin cup final", names=("The Ferrin Cup",))
    assert focus.asks_about("Orbel Ferrin Cup 2024") and not focus.asks_about("Harrow Hawks")


def test_who_an_act_was_done_to_is_its_object_not_a_name_beside_it(service, tmp_path) -> None:
    add_written_article(
        service, tmp_path, "Harrow Hawks vs. Lyon Rovers live",
        "9:40 p.m.: Dana Kell with a brilliant play for the Harrow Hawks. By then, Pellmore had already hired "
        "Tomas Varga and Lena Voss to run a new unit in Leeds, the Harrow Hawks said. The Harrow Hawks played "
        "the Lyon Rovers on Sunday night.")
    assert "Lyon Rovers" in (service.ask("who did the harrow hawks play on sunday").short_answer or "")
    assert service.ask("who did pellmore hire").short_answer == "Tomas Varga and Lena Voss"


def test_a_name_long_articles_are_about_is_read_as_a_name_in_lower_case(service, tmp_path) -> None:
    # Three long articles about one firm: its name is in each article's title, so every chunk of
    # them holds it, while the tagger counts it once per article.
    cities = "Leeds York Bath Derby Hull Ely Wells Truro Exeter Durham Carlisle Bangor Newry Perth".split()
    paths = []
    for number in range(3):
        lines = [f"In {city}, Quellmark opened shop {n + 10 * number} on a wet Monday, hiring {n + 4} people from "
                 f"nearby towns, and the mayor said the high street had waited {n + 2} years for a shop like it."
                 for n, city in enumerate(cities * 3)]
        paths.append(tmp_path / f"quellmark-{number}.txt")
        paths[-1].write_text(f"Quellmark keeps growing, part {number + 1}\nSource: Valley Ledger\n"
                             f"Date: 2024-05-0{number + 1}\n\n" + " ".join(lines) + "\n")
    assert service.add_paths(paths).ok
    with service.answerer.kb.reader() as snap:
        assert read_focus(snap, "where did quellmark open its first shop").names == ("Quellmark",)


def test_a_first_name_alone_stands_for_the_one_name_the_articles_write_it_in(service, tmp_path) -> None:
    stories = {"Zarek Holm buys a ferry line": "Zarek Holm bought the Harrow ferry line on Monday.",
               "Zarek Holm opens a museum": "Zarek Holm opened a transport museum in Leeds.",
               "Holm's fortune grows": "Zarek Holm has a net worth of about $3 billion, the Ledger estimates.",
               "Boxer signs a new deal": "The unbeaten boxer boasts a net worth of $450 million."}
    for number, (title, body) in enumerate(stories.items()):
        path = tmp_path / f"story-{number}.txt"
        path.write_text(f"{title}\nSource: Valley Ledger\nDate: 2024-06-0{number + 1}\n\n{body}\n")
        assert service.add_paths([path]).ok
    with service.kb.reader() as snap:
        assert read_focus(snap, "whats zarek's net worth").names == ("Zarek Holm",)
    answer = service.ask("whats zarek's net worth")
    assert answer.short_answer == "about $3 billion" and "Zarek Holm" in answer.quotes[0].text, answer.answer


def test_a_last_word_of_letters_and_digits_stands_for_its_team_however_seldom_tagged(service, tmp_path) -> None:
    games = [f"Running back Dana Kell led the Kessington 77ers to a win over {rival}."
             for rival in ("Bath", "Ely", "Hull")]
    games += ["Fans of the 77ers queued for hours, and the 77ers won again.",
              "Lyon quarterback Omar Pike threw two touchdowns against the 77ers."]
    for number, body in enumerate(games):
        path = tmp_path / f"game-{number}.txt"
        path.write_text(f"Harrow game {number}\nSource: Valley Ledger\nDate: 2024-06-0{number + 1}\n\n{body}\n")
        assert service.add_paths([path]).ok
    with service.kb.reader() as snap:
        assert read_focus(snap, "who is the 77ers quarterback").names == ("the Kessington 77ers",)
    assert service.ask("who is the 77ers quarterback").short_answer is None  # Pike is Lyon's


def test_a_name_holding_two_words_of_a_name_asked_is_that_thing_and_one_word_is_a_namesake() -> None:
    focus = Focus("who won the harrow bowls cup final", names=("Harrow Bowls Cup",),
                  weights={stem(w): 1.0 for w in ("won", "harrow", "bowls", "cup", "final")})
    asked = _Asked(focus, frozenset(), "won", "person")
    assert _holds_a_word_asked("Lyon Bowls Cup 2024", asked)  # another edition of the thing asked
    assert not _holds_a_word_asked("Dana Harrow", asked)  # one word shared: a namesake may answer
    assert _holds_a_word_asked("Final Four", asked)  # a word asked that names nothing given


@pytest.mark.parametrize(("text", "describes"), [
    ("It became the most-watched Sunday radio show in Harrow.", True),  # a kind of show
    ("Lyon beat Bath Sunday in Leeds.", False),  # the day of the win, without "on"
    ("Lyon beat Bath on Sunday.", False),
    ("Lyon beat Bath Sunday night.", False),
    ("Sunday crowds were thin.", False),  # the sentence's first word: no telling
])
def test_a_weekday_describing_a_noun_dates_nothing(text: str, describes: bool) -> None:
    at = text.index("Sunday")
    sentence = RankedSentence("a", 0, len(text), text, 1.0, 1.0, 1.0, (), 0, np.zeros(2, dtype=np.float32))
    assert _weekday_describing(text, sentence, TypedSpan(at, at + 6, ("date",))) is describes


def test_a_dash_or_a_lone_apostrophe_in_a_dated_sentence_is_no_word_to_read() -> None:
    text = "Orbel cut its prices in March, citing the dock strike -- and ' its costs."
    sentence = RankedSentence("a", 0, len(text), text, 1.0, 1.0, 1.0, (), 0, np.zeros(2, dtype=np.float32))
    at = text.index("March")
    assert _act_only_in_a_participle_after(sentence, TypedSpan(at, at + 5, ("date",)), "strike")
