"""Question analysis: outlets, dates and names a question carries."""

from __future__ import annotations

from datetime import date

from index.query import analyse_question, content_terms, find_outlets, parse_dates

OUTLETS = ["TechCrunch", "The Verge", "Cnbc | World Business News Leader", "The Independent - Sports",
           "The Independent - Travel", "The Age", "Sporting News"]


def test_outlets_are_found_in_full_and_by_short_name() -> None:
    mentions = find_outlets("Did the TechCrunch report and CNBC's piece agree with the Verge?", OUTLETS)
    assert [m.outlets for m in mentions] == [("TechCrunch",), ("Cnbc | World Business News Leader",), ("The Verge",)]


def test_a_short_name_shared_by_sections_means_all_of_them() -> None:
    [mention] = find_outlets("What did The Independent say?", OUTLETS)
    assert mention.outlets == ("The Independent - Sports", "The Independent - Travel")


def test_a_common_word_outlet_needs_its_capital() -> None:
    assert find_outlets("She was tortured by the age of 16.", OUTLETS) == []
    assert [m.outlets for m in find_outlets("an article from The Age says", OUTLETS)] == [("The Age",)]


def test_days_months_and_parts_of_months() -> None:
    found = parse_dates("published on October 7, 2023, then on 30 October 2023, in late November, "
                        "during December 2023, and at 2023-10-20T21:30:00+00:00", default_year=2023)
    spans = [(d.start, d.end) for d in found]
    assert spans == [
        (date(2023, 10, 7), date(2023, 10, 7)),
        (date(2023, 10, 30), date(2023, 10, 30)),
        (date(2023, 11, 21), date(2023, 11, 30)),
        (date(2023, 12, 1), date(2023, 12, 31)),
        (date(2023, 10, 20), date(2023, 10, 20)),
    ]
    assert found[0].contains(date(2023, 10, 8)) and not found[0].contains(date(2023, 10, 10))


def test_a_missing_year_comes_from_the_knowledge_base() -> None:
    [found] = parse_dates("the report on March 3rd", default_year=2021)
    assert found.start == date(2021, 3, 3)


def test_segments_split_the_question_per_outlet_with_their_dates() -> None:
    analysis = analyse_question(
        "After the TechCrunch report on October 7, 2023, about Flexport, did the Sporting News article "
        "on October 30, 2023, cover the Bears?", OUTLETS)
    assert [s.outlets for s in analysis.segments] == [("TechCrunch",), ("Sporting News",)]
    assert [[d.start.day for d in s.dates] for s in analysis.segments] == [[7], [30]]
    assert "Flexport" in analysis.names and "Bears" in analysis.names
    assert "TechCrunch" not in analysis.names


def test_names_stop_at_possessives_and_skip_question_words() -> None:
    analysis = analyse_question("Which company compared Gemini Pro to OpenAI's GPT-3.5?", OUTLETS)
    assert analysis.names == ["Gemini Pro", "OpenAI", "GPT-3.5"]


def test_content_terms_drop_stopwords_framing_words_and_possessives() -> None:
    assert content_terms("Does the article suggest that Hyundai's plant deal was confirmed?") == [
        "hyundai", "plant", "deal", "confirmed"]
