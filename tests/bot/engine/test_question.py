"""A member's question without the chatter around it."""

from __future__ import annotations

import pytest

from bot.engine.lexicon import says_predicate
from bot.engine.question import read_question, strip_chatter


@pytest.mark.parametrize(("typed", "question"), [
    ("<@1234> did korvath confirm the deal?", "did korvath confirm the deal?"),
    ("hey bot, did korvath confirm the deal?", "did korvath confirm the deal?"),
    ("Hey, did Korvath confirm the deal?", "did Korvath confirm the deal?"),
    ("quick q: who runs korvath", "who runs korvath"),
    ("sorry if dumb q but where is the plant", "where is the plant"),
    ("hi all!! can you tell me who runs korvath? thanks", "who runs korvath?"),
    ("<@!42> yo newsbot, korvath ceo?", "korvath ceo?"),
    ("sorry to bug, how much is korvath paying", "how much is korvath paying"),
    ("sorry to bother you but who runs korvath", "who runs korvath"),
    ("wait did korvath testify", "did korvath testify"),
    ("lol ngl who runs korvath now", "who runs korvath now"),
    ("@newsbot hi! who runs korvath?", "who runs korvath?"),  # the bot's name typed, not a mention
    ("hey @newsbot, did korvath confirm the deal?", "did korvath confirm the deal?"),
    ("what did @korvath post about the deal", "what did @korvath post about the deal"),  # a handle asked about
])
def test_greetings_mentions_and_frames_are_not_the_question(typed: str, question: str) -> None:
    assert strip_chatter(typed) == question
    if question.startswith("did"):
        assert read_question(typed).is_yes_no


def test_a_whether_frame_is_a_yes_no_question() -> None:
    read = read_question("do you know if korvath confirmed the deal")
    assert read.text == "korvath confirmed the deal" and read.is_yes_no


def test_a_message_that_is_all_chatter_keeps_its_text() -> None:
    assert read_question("hey bot").text == "hey bot"


def test_a_question_word_typed_without_its_apostrophe_is_read_as_one() -> None:
    read = read_question("<@123> whos the boss of korvath")
    assert read.text == "who's the boss of korvath" and read.answer_type == "person"


def test_a_role_that_owns_the_thing_asked_for_is_no_person_asked_for() -> None:
    fund = read_question("what's the name of the orbel founder's hedge fund")
    assert (fund.answer_type, fund.named_class) == ("organization", "fund")
    assert read_question("who is the orbel founder").answer_type == "person"


def test_where_a_thing_is_based_or_made_asks_for_a_sentence_that_says_so() -> None:
    assert read_question("where is orbel based").predicate == "based"
    assert read_question("where was the kestrel drone made?").predicate == "made"
    assert read_question("where is the orbel final").predicate is None
    assert read_question("where did the harrow cup final take place").predicate == "place"


def test_which_company_does_an_act_asks_for_a_sentence_that_says_it() -> None:
    assert read_question("what company owns orbel").predicate == "owns"
    assert read_question("which team won the harrow cup").predicate == "won"
    assert read_question("which company makes the kestrel drone").predicate is None  # seldom said with "make"


def test_running_against_someone_is_a_race_not_running_a_company() -> None:
    assert read_question("who is running against dana kell").predicate == "against"
    assert read_question("who runs orbel").predicate == "runs"
    # "against" is said by "against", not by a five-letter word it starts with
    assert not says_predicate("Kell asked the judge to bar Orbel from ever again running a company.", "against")
    assert says_predicate("Omar Pike is running against Kell in the primary.", "against")


def test_a_date_question_reads_its_act_but_not_a_start_or_an_end() -> None:
    assert read_question("when did the foxes invade orbel").predicate == "invade"
    assert read_question("when did orbel get fired").predicate == "fired"
    assert read_question("when does the night crossing start").predicate is None  # "runs from June" answers it


def test_how_many_counts_and_takes_no_share_or_amount_while_a_size_may() -> None:
    counted = read_question("korvath layoffs how many")
    assert (counted.answer_type, counted.also) == ("number", ())
    assert {"percent", "money"} <= set(read_question("how big was korvath's round").also)
    assert read_question("how many years did korvath run the mill").also == ("duration",)


def test_what_is_the_share_asks_for_a_percent_whatever_noun_ends_the_question() -> None:
    assert read_question("whats the percentage of pupils using tablets at school").answer_type == "percent"
    assert read_question("what is the vacancy rate in brackwater").answer_type == "percent"
    assert read_question("what is the share price of korvath").answer_type == "money"


def test_the_thing_asked_of_a_role_is_the_answer_type_not_the_role() -> None:
    assert read_question("what is the salary of the korvath ceo").answer_type == "money"
    assert read_question("whats the age of the orbel chair").answer_type == "number"
    assert read_question("what is the name of the orbel ceo").answer_type == "person"


def test_what_product_did_x_do_asks_for_a_sentence_that_says_the_act() -> None:
    assert read_question("what phone did orbel launch").predicate == "launch"
    assert read_question("which car does orbel make").predicate is None  # seldom said with "make"


def test_which_company_the_subject_acted_on_asks_for_the_one_acted_on() -> None:
    bought = read_question("which company did orbel buy")
    assert (bought.predicate, bought.asks_object) == ("buy", True)
    assert not read_question("which team does kell play for").asks_object  # the team she plays for
    assert read_question("who did the hawks play on sunday").asks_object  # "on sunday" is no object


def test_what_something_made_is_money_only_with_takings_words() -> None:
    assert read_question("what did the korvath film make on its opening weekend").answer_type == "money"
    assert read_question("what did korvath earn last quarter").answer_type == "money"
    assert read_question("what does korvath make in leeds").answer_type != "money"
