"""Verdict direction and abstention, on small articles written for these tests and the seed."""

from __future__ import annotations

import json
from datetime import date

import pytest

from bot.engine.focus import Focus, held_stems, read_focus
from bot.engine.verdict import (
    EvidenceSentence,
    decide_by_order,
    decide_by_support,
    decide_verdict,
    order_between,
    parse_yes_no,
)
from bot.service import NewsService
from index.text import stem
from tests.conftest import settings_for


def evidence(*texts: str) -> list[EvidenceSentence]:
    return [EvidenceSentence(t, 0.6) for t in texts]


def test_denial_by_the_subject_gives_no() -> None:
    verdict = decide_verdict("Did Hyundai confirm the plant deal?", evidence(
        "BAIC and Xiaomi are weighing a stake in the plant.",
        "A spokesperson for Hyundai rejected the report, calling it groundless."))
    assert verdict.value == "no" and verdict.deciding == 1


def test_an_opposite_word_in_passing_is_no_answer_unless_its_sentence_names_the_objects() -> None:
    question = "did the central bank raise rates in march?"
    passing = [EvidenceSentence("Hopes for an easier central bank offset a fall for Orbel shares.", 0.6,
                                "Shares rise on interest rate hopes")]
    assert decide_verdict(question, passing).value is None
    cut = evidence("The central bank cut rates by a quarter point in March.")
    assert decide_verdict(question, cut).value == "no"
    # "pushed yields lower": where something ended up; the title's rates are not its yields.
    result = [EvidenceSentence("Comments from the central bank pushed bond yields lower.", 0.6,
                               "Shares gain on interest rate hopes")]
    assert decide_verdict("did the central bank cut rates?", result).value is None
    lowered = evidence("Comments from the central bank pushed its rates lower.")
    assert decide_verdict("did the central bank cut rates?", lowered).value == "yes"
    # A month said is no sign that the rates are: the half of the objects needed is of the others.
    forecast = evidence("The central bank cut its growth forecast in March.")
    assert decide_verdict("did the central bank cut rates in march?", forecast).value is None


def test_the_predicate_itself_gives_yes_and_negation_flips_it() -> None:
    confirmed = evidence("Nordwind Energy confirmed on Thursday that it will recall 400 blades.")
    assert decide_verdict("Did Nordwind confirm the recall?", confirmed).value == "yes"
    assert decide_verdict("Did Nordwind confirm the recall?",
                          evidence("Nordwind has not confirmed any recall.")).value == "no"
    assert decide_verdict("Didn't Nordwind confirm the recall?",
                          evidence("Nordwind Energy confirmed the recall.")).value == "no"


def test_opposite_predicates_and_other_subjects() -> None:
    assert decide_verdict("Did the council approve the toll?",
                          evidence("The council rejected the toll plan 7 to 2.")).value == "no"
    # A denial by someone else says nothing about the subject asked about.
    assert decide_verdict("Did Hyundai confirm the deal?",
                          evidence("An executive at BAIC denied any knowledge of the matter.")).value is None
    # Nor is an act of others the subject is compared with in an aside.
    aside = evidence("She, like many of Varga's former staff, testified that Varga kept two sets of books.")
    assert decide_verdict("did varga testify", aside).value is None
    described = evidence("Okafor — Varga's college friend and former flatmate — had testified that Varga lied.")
    assert decide_verdict("did varga testify", described).value is None
    assert decide_verdict("did okafor testify", described).value == "yes"
    assert decide_verdict("did varga testify", evidence("Varga, like his staff, testified on Monday.")).value == "yes"


def test_keep_before_a_verb_in_ing_goes_on_and_keeps_nothing() -> None:
    question = "did orbel lose the patent case"
    going_on = evidence("Two months into the patent case against Orbel — one of the longest in the valley — "
                        "and the filings keep getting stranger.")
    assert decide_verdict(question, going_on).value is None
    kept = evidence("Orbel keeps the patent after the appeal.")
    assert decide_verdict("did orbel lose the patent", kept).value == "no"


def test_started_doing_asks_about_the_act_begun() -> None:
    allowed = evidence("Orbel told its summit on Tuesday that it now allows riders to share routes on rival apps.")
    assert decide_verdict("has orbel started letting riders share routes on other apps?", allowed).value == "yes"


def test_having_none_of_the_thing_asked_about_says_no() -> None:
    question = "Do Orbel's new Lumen Glasses have a built-in camera?"
    assert parse_yes_no(question, ["Orbel", "Lumen Glasses"]).subject == ("lumen", "glasses")  # the thing owned
    review = [EvidenceSentence("The frames have no camera, no screen, and nothing that gives them away as smart "
                               "glasses.", 0.6, "Orbel Lumen Glasses review")]
    assert decide_verdict(question, review, names=["Orbel", "Lumen Glasses"]).value == "no"
    rival = [EvidenceSentence("The Lumen Glasses have a camera, no matter what the box says.", 0.6)]
    assert decide_verdict(question, rival, names=["Orbel", "Lumen Glasses"]).value != "no"


def test_selling_a_thing_is_no_longer_owning_it() -> None:
    sold = evidence("Orbel sold the Pellmore brand to its producer, Dana Kell, last year.")
    assert decide_verdict("is pellmore still owned by orbel?", sold, names=["Pellmore", "Orbel"]).value == "no"


def test_a_role_before_the_verb_belongs_to_the_subject() -> None:
    question = "did the orbel ceo resign?"
    parsed = parse_yes_no(question, ["Orbel"])
    assert (parsed.subject, parsed.predicate) == (("orbel", "ceo"), stem("resign"))
    stepping = evidence("Dana Kell, the founder and CEO of Orbel, is stepping down and has pleaded guilty.")
    assert decide_verdict(question, stepping, names=["Orbel"]).value == "yes"


def test_a_reported_claim_asks_whether_the_claim_holds() -> None:
    question = "Did a survey find that 80% of pilots sleep during layovers?"
    assert parse_yes_no(question, []).predicate != stem("find")
    slept = evidence("In all, 80% of pilots slept during layovers, while half of them slept in the cockpit.")
    assert decide_verdict(question, slept, names=[]).value == "yes"
    closing = "did the report say that orbel would close the pellmore plant?"
    kept = evidence("Orbel will not close the Pellmore plant, the report said.")
    assert decide_verdict(closing, kept, names=["Orbel", "Pellmore"]).value == "no"


def test_allowed_to_do_asks_whether_it_was_done() -> None:
    question = "Was Orbel allowed to keep its innovation award?"
    assert parse_yes_no(question, ["Orbel"]).predicate == "keep"
    assert decide_verdict(question, evidence("Orbel later had its innovation award rescinded by the fair."),
                          names=["Orbel"]).value == "no"
    assert decide_verdict(question, evidence("Orbel kept its innovation award."), names=["Orbel"]).value == "yes"


def test_the_place_a_side_finished_in_settles_whether_it_finished_in_another() -> None:
    question = "did harrow rovers finish second in their cup group?"
    names = ["Harrow Rovers"]
    bottom = evidence("Harrow Rovers are out of the cup after finishing bottom of their group.")
    assert decide_verdict(question, bottom, names=names).value == "no"
    assert decide_verdict(question, evidence("Harrow Rovers finished second in the cup group."),
                          names=names).value == "yes"
    # the place is another side's
    assert decide_verdict(question, evidence("Harrow Rovers watched as Lyon finished first in the cup group."),
                          names=names).value is None


def test_a_finding_of_guilt_is_not_a_plea_and_not_the_first_is_no_denial() -> None:
    guilty = "was dana kell found guilty?"
    assert parse_yes_no(guilty, ["Dana Kell"]).predicate == stem("guilty")
    pleaded = evidence("In January, Dana Kell pleaded not guilty to all counts.")
    assert decide_verdict(guilty, pleaded, names=["Dana Kell"]).value is None
    found = evidence("Dana Kell was found guilty on seven counts of fraud.")
    assert decide_verdict(guilty, found, names=["Dana Kell"]).value == "yes"
    # A plea asked about is read as the act: "pleaded guilty" says yes, "pleaded not guilty" no.
    plea = "did dana kell plead guilty"
    assert parse_yes_no(plea, ["Dana Kell"]).predicate == stem("plead")
    admitted = evidence("Dana Kell, also known as “DK,” is stepping down and has pleaded guilty to two counts.")
    assert decide_verdict(plea, admitted, names=["Dana Kell"]).value == "yes"
    assert decide_verdict(plea, pleaded, names=["Dana Kell"]).value == "no"
    bought = evidence("The Lumen deal is the largest in Orbel’s history, ahead of its purchase of Harrow in 2016 — "
                      "but it wasn’t the company’s first acquisition.")
    assert decide_verdict("did orbel buy lumen", bought, names=["Orbel", "Lumen"]).value != "no"


def test_a_win_in_a_sentence_without_the_contest_is_not_that_contests() -> None:
    season = [EvidenceSentence("The Lyon Hawks have often won on defence alone, whatever their attack did.",
                               0.6, "Harrow Cup final preview: how the Hawks got here")]
    assert decide_verdict("did the hawks win the harrow cup", season, names=["Hawks", "Harrow Cup"]).value is None


@pytest.mark.parametrize("question", ["did?", "Did", "is it?"])
def test_a_yes_no_opener_alone_reads_as_no_claim(question: str) -> None:
    assert parse_yes_no(question, []).predicate is None


def test_a_knockout_is_a_win() -> None:
    knocked = evidence("Dana Kell delivered a brutal first-round knockout of Omar Pike in Lyon.")
    assert decide_verdict("did dana kell knock out omar pike?", knocked).value == "yes"
    offside = evidence("Dana Kell scored to put Lyon 1-0 up, but the flag went up for offside.")
    assert decide_verdict("did dana kell score", offside, names=("Dana Kell",)).value is None  # undone after it
    # "looks upset" is how she seems, not an upset win
    assert decide_verdict("did dana kell win", evidence("Dana Kell looks upset as the fight ends.")).value is None


def test_a_contest_said_with_a_negation_is_not_read_from_the_parse() -> None:
    names = ("Lyon", "Harrow")
    streak = evidence("Harrow had not lost three in a row to Lyon since 1995.")
    assert decide_verdict("did lyon lose to harrow", streak, names=names).value is None
    assert decide_verdict("did lyon lose to harrow", evidence("Harrow lost to Lyon on Saturday."),
                          names=names).value == "no"


def test_a_name_that_spells_an_act_does_not_do_it() -> None:
    named = evidence("She started selling tickets online because she was tired of Orbel, and believed "
                     "that Kick would sell tickets better in time.")
    assert decide_verdict("has orbel started selling tickets online?", named).value is None


def test_a_second_name_in_the_question_is_an_object_not_the_subject() -> None:
    question = "Did Korvath beat Orbel for the third year in a row?"
    names = ("Korvath", "Orbel")
    won = evidence("Korvath (9-1) beat Orbel (7-3) for the third straight season.")
    assert decide_verdict(question, won, names=names).value == "yes"
    reversed_result = evidence("Orbel beat Korvath by a point on Saturday.")
    assert decide_verdict(question, reversed_result, names=names).value == "no"  # won the other way round
    # The object's win and the subject named in the next clause: no one beat the subject.
    apart = evidence("Orbel cruised into the knockout rounds but Korvath and Lyon entered the last week with a "
                     "chance of joining them.")
    assert decide_verdict(question, apart, names=names).value is None


def test_a_number_or_ordinal_in_the_question_must_be_in_the_sentence() -> None:
    question = "Did Orbel finish second in its group?"
    assert decide_verdict(question, evidence("Orbel went out after finishing bottom of its group."),
                          names=("Orbel",)).value is None
    assert decide_verdict(question, evidence("Orbel finished second in its group, behind Korvath."),
                          names=("Orbel",)).value == "yes"


def test_the_writer_taking_a_claim_back_says_no_and_a_surname_names_the_person() -> None:
    verdict = decide_verdict("Has novelist Dana Whitlock ever contributed to the Orbel project?", evidence(
        "(A chatbot said that Whitlock contributed to the Orbel project; she never has.)"),
        names=("Dana Whitlock", "Orbel"))
    assert verdict.value == "no"


def test_failing_to_do_an_act_is_no_and_a_path_to_it_is_not_doing_it() -> None:
    question, names = "did dana kell become mayor", ("Dana Kell",)
    failed = evidence("Councillor Dana Kell failed again on Wednesday on a second ballot to become mayor of Lyon.")
    assert decide_verdict(question, failed, names=names).value == "no"
    unable = evidence("Dana Kell was unable to become mayor.")
    assert decide_verdict(question, unable, names=names).value == "no"
    path = evidence("What was clear was that Kell's path to become mayor was almost certainly lost.")
    assert decide_verdict(question, path, names=names).value is None
    short = evidence("Despite strong backing, Dana Kell once again came up short of winning the mayor's race.")
    assert decide_verdict("did dana kell win the mayor's race", short, names=names).value == "no"
    became = evidence("Dana Kell became mayor of Lyon on Friday.")  # a past the stemmer cannot undo
    assert decide_verdict(question, became, names=names).value == "yes"


def test_an_act_on_an_object_of_its_own_is_no_act_on_the_thing_said_before_it() -> None:
    question, names = "did korvath make a loss", ("Korvath",)
    progress = evidence("Despite the slump and predicted future losses, Korvath's chief said the company has made "
                        "good progress this year.")
    assert decide_verdict(question, progress, names=names).value is None
    assert decide_verdict(question, evidence("Korvath made a loss of $3m."), names=names).value == "yes"
    # a definite object may stand for the thing named before it
    sold = evidence("The Lyon Ledger survived, as Korvath sold the paper to its editor.")
    assert decide_verdict("is the lyon ledger still owned by korvath", sold,
                          names=("Lyon Ledger", "Korvath")).value == "no"


def test_an_adverb_is_not_the_object_its_stem_spells() -> None:
    question, names = "did lyon lose the harrow cup final", ("Lyon", "Harrow Cup")
    revenge = evidence("Lyon finally got their revenge in this Harrow Cup as they defeated them by five wickets.")
    assert decide_verdict(question, revenge, names=names).value is None  # "finally" is no final
    lost = evidence("Lyon lost the Harrow Cup final to Orbel by five wickets.")
    assert decide_verdict(question, lost, names=names).value == "yes"
    rally = evidence("Lyon won the Harrow rally on Sunday.")  # a noun ending in -ly is kept
    assert decide_verdict("did lyon win the harrow rally", rally, names=("Lyon",)).value == "yes"


def test_a_tally_of_wins_is_not_a_win_of_the_thing_asked() -> None:
    names = ("Lyon", "Harrow Cup")
    tally = evidence("Orbel faced Lyon 13 times in the Harrow Cups, with Lyon dominating with eight wins.")
    assert decide_verdict("did lyon win the harrow cup final", tally, names=names).value is None
    won = evidence("Lyon won the Harrow Cup final by six wickets.")
    assert decide_verdict("did lyon win the harrow cup final", won, names=names).value == "yes"
    counted = evidence("Lyon won 8 games in the Harrow Cup.")  # a count asked about is the claim itself
    assert decide_verdict("did lyon win 8 games", counted, names=names).value == "yes"


def test_what_could_or_need_happen_is_not_what_did() -> None:
    could = evidence("Korvath could sit down with Orbel and hammer out a licensing deal for the mill.")
    assert decide_verdict("did korvath buy orbel", could, names=("Korvath", "Orbel")).value is None
    need = evidence("Korvath's chief said the bank did not need to raise its rates any further.")
    assert decide_verdict("did korvath raise rates", need, names=("Korvath",)).value is None
    readying = evidence("Korvath closed its border to Orbel trucks and is preparing for a ground invasion.",
                        "Korvath moved troops north ahead of a possible invasion of Orbel.")
    assert decide_verdict("did korvath invade orbel", readying, names=("Korvath", "Orbel")).value is None
    willing = evidence("Korvath's move to Orbel is not a done deal, and Korvath is still open to returning to Vantor.")
    assert decide_verdict("is korvath returning to vantor", willing, names=("Korvath", "Vantor")).value is None
    picked = evidence("He's the lone analyst that picks Korvath to beat Orbel on Sunday.")
    assert decide_verdict("did korvath beat orbel", picked, names=("Korvath", "Orbel")).value is None
    assert decide_verdict("did korvath invade orbel", evidence("Korvath invaded Orbel in May."),
                          names=("Korvath", "Orbel")).value == "yes"


def test_a_claim_given_as_someone_elses_allegation_is_no_answer() -> None:
    names = ("Korvath",)
    alleged = evidence("Korvath was a fraud from the start, the regulator alleges, citing missing funds.")
    assert decide_verdict("was korvath a fraud", alleged, names=names).value is None
    found = evidence("Korvath was a fraud from the start, the court found.")
    assert decide_verdict("was korvath a fraud", found, names=names).value == "yes"
    own = evidence("Korvath denied the report, Korvath's lawyers argued in court.")
    assert decide_verdict("did korvath confirm the report", own, names=names).value == "no"


def test_an_act_on_another_name_is_no_act_on_the_thing_asked() -> None:
    names = ("Orbel", "Vela Nine", "Vela Pro")
    other = evidence("The Vela Pro is Orbel's first new model since 2020, when it started shipping the Vela Nine.")
    assert decide_verdict("did orbel ship the vela pro", other, names=names).value is None
    asked = evidence("Orbel started shipping the Vela Pro in May.", "Orbel cut Vela Nine prices in May.")
    assert decide_verdict("did orbel ship the vela pro", asked[:1], names=names).value == "yes"
    assert decide_verdict("did orbel cut prices", asked[1:], names=names).value == "yes"


def test_an_act_aimed_at_the_subject_is_not_its_act() -> None:
    names = ("Korvath", "Orbel")
    target = evidence("Korvath is hitting back at the attacks on its people by raiders from Orbel.",
                      "Raiders from Orbel staged brutal attacks on Korvath last week.")
    assert decide_verdict("did korvath attack orbel", target, names=names).value is None
    suit = evidence("Korvath filed a lawsuit against its former partner Orbel.")
    assert decide_verdict("did korvath sue orbel", suit, names=names).value == "yes"


def test_an_act_still_to_come_answers_whether_it_will_be_done_not_whether_it_was() -> None:
    names = ("Dana Whitlock",)
    planned = evidence("As her lawyers confirmed on Tuesday, Dana Whitlock will be testifying next week.")
    assert decide_verdict("did dana whitlock testify", planned, names=names).value is None
    assert decide_verdict("has whitlock testified?", planned, names=names).value is None
    assert decide_verdict("will dana whitlock testify", planned, names=names).value == "yes"
    done = evidence("Dana Whitlock testified on Tuesday, and she will be back in court next week.")
    assert decide_verdict("did dana whitlock testify", done, names=names).value == "yes"


def test_someone_elses_view_is_not_the_subjects_act() -> None:
    view = evidence("Korvath's store is popular — instead, Imogen Tate suggests there shouldn't be a "
                    "Korvath fee at all.")
    assert decide_verdict("Does Korvath charge a fee?", view, names=("Korvath",)).value is None


def test_a_passive_question_with_its_doer_is_read_as_the_active() -> None:
    names = ("Orbel", "Harbor Commission")
    sued = evidence("The Harbor Commission sued Orbel in May over its dock fees.")
    assert decide_verdict("is orbel being sued by the harbor commission", sued, names=names).value == "yes"
    # The other way round is no answer: Orbel suing the commission is not the commission suing Orbel.
    reversed_suit = evidence("Orbel sued the Harbor Commission in May over its dock fees.")
    assert decide_verdict("is orbel being sued by the harbor commission", reversed_suit, names=names).value is None

    # The evidence in the passive: the doer after "by" does the act; the one before has it done to it.
    active = "did the harbor commission sue orbel"
    by_commission = evidence("Orbel was sued by the Harbor Commission in May.")
    assert decide_verdict(active, by_commission, names=names).value == "yes"
    by_orbel = evidence("The Harbor Commission was sued by Orbel in May.")
    assert decide_verdict(active, by_orbel, names=names).value is None
    assert decide_verdict("was orbel sued", evidence("Orbel was sued by the Harbor Commission in May."),
                          names=names).value == "yes"


def test_got_convicted_asks_for_a_conviction_and_a_hyphenated_name_is_one_name() -> None:
    names = ("Tomas Varga-Lind",)
    guilty = evidence("Tomas Varga-Lind, the founder of the exchange, was found guilty on seven counts.")
    assert decide_verdict("did tomas varga lind get convicted", guilty, names=names).value == "yes"
    acquitted = evidence("Tomas Varga-Lind was acquitted on every count on Friday.")
    assert decide_verdict("did tomas varga lind get convicted", acquitted, names=names).value == "no"


def test_a_contest_is_read_from_the_one_act_both_sides_stand_in() -> None:
    names = ("Tomas Varga", "Ellis Marsh")
    question = "Did Tomas Varga beat Ellis Marsh in Leeds?"
    lost = evidence("Marsh’s victory over Varga came before the main event in Leeds.")
    assert decide_verdict(question, lost, names=names).value == "no"
    assert decide_verdict("Did Tomas Varga lose to Ellis Marsh?", lost, names=names).value == "yes"
    # Another loss of the subject's, in a clause of its own, is not this contest.
    won = evidence("Varga, who lost to Kell in 2021, beat Marsh on Saturday in Leeds.")
    assert decide_verdict(question, won, names=names).value == "yes"


def test_a_win_belongs_to_the_side_that_owns_it_or_does_the_act_it_ends() -> None:
    names = ("Harrow Hawks", "Kestrel Owls")
    theirs = evidence("It was close as the Hawks held the Owls to one goal and then sealed it in a 2-1 win.")
    for question in ["did the owls win", "did the owls lose"]:
        assert decide_verdict(question, theirs, names=names).value is None, question
    assert decide_verdict("did the hawks win", theirs, names=names).value == "yes"
    earned = evidence("A late error by Owls keeper Dana Kell decided it as Harrow held on to earn the win.")
    assert decide_verdict("did the owls win", earned, names=names).value is None
    owned = evidence("The win for the Hawks was their third.", "The Owls rolled to a 3-0 victory on Monday.")
    assert decide_verdict("did the owls win", owned, names=names).value == "yes"


def test_a_word_an_object_follows_in_the_question_is_its_verb_and_short_verbs_match_their_forms() -> None:
    parsed = parse_yes_no("did dana kell hit the winning goal for the hawks", ("Dana Kell", "Hawks"))
    assert parsed is not None and parsed.subject == ("dana", "kell") and parsed.predicate == stem("hit")
    scored = evidence("The Hawks' Dana Kell celebrates after hitting the goal that won the cup.")
    assert decide_verdict("did dana kell hit the winning goal for the hawks", scored,
                          names=("Dana Kell", "Hawks")).value == "yes"
    used = evidence("Most Orbel staff used their own laptops at work, the survey found.")
    assert decide_verdict("did orbel staff use their own laptops", used, names=("Orbel",)).value == "yes"


def test_a_win_still_needed_is_no_win() -> None:
    names = ("Harrow Hawks", "Ferrin Cup")
    question = "did the harrow hawks win the ferrin cup"
    needed = evidence("The Harrow Hawks just need one more win to become Ferrin Cup champions.")
    assert decide_verdict(question, needed, names=names).value is None
    won = evidence("The Harrow Hawks won the Ferrin Cup on Sunday.")
    assert decide_verdict(question, won, names=names).value == "yes"


def test_a_new_name_does_not_say_the_old_one_still_holds() -> None:
    question = "is orbelgram still called orbelgram"
    renamed = evidence("The grip Orbelgram, now called Vantor, has on the market may be stronger than thought.")
    assert decide_verdict(question, renamed, names=("Orbelgram",)).value != "yes"
    kept = evidence("Orbelgram is still called Orbelgram in Europe, the company said.")
    assert decide_verdict(question, kept, names=("Orbelgram",)).value == "yes"


def test_an_act_word_that_describes_a_noun_is_no_act() -> None:
    question = "did orbel raise prices"
    rising = evidence("In a note to staff, Orbel founder Dana Kell, citing rising capital costs and slow "
                      "growth, said prices and jobs were under review.")
    assert decide_verdict(question, rising, names=("Orbel",)).value is None
    raised = evidence("Orbel raised prices by 5% on Monday.")
    assert decide_verdict(question, raised, names=("Orbel",)).value == "yes"


def test_an_act_word_that_is_the_first_noun_of_a_compound_is_no_act() -> None:
    question = "did orbel release a new phone"
    dated = evidence("For Orbel the official release date of the new phone was May 3.")
    assert decide_verdict(question, dated, names=("Orbel",)).value is None
    released = evidence("Orbel and Kestrel have long worked together, and Orbel released a new phone in May.")
    assert decide_verdict(question, released, names=("Orbel",)).value == "yes"
    cut = evidence("Orbel had a weak year and the company cut jobs.")  # parsed: a verb, not a compound
    assert decide_verdict("did orbel cut jobs", cut, names=("Orbel",)).value == "yes"


def test_an_object_named_only_in_a_clause_before_the_act_is_not_its_object() -> None:
    question = "did orbel release a new phone"
    other = evidence("It works best with a phone, though Orbel released a tablet app that can find it.")
    assert decide_verdict(question, other, names=("Orbel",)).value is None
    titled = [EvidenceSentence("It works best with a phone, though Orbel released it in May.", 0.6,
                               "Orbel's new phone reviewed")]
    assert decide_verdict(question, titled, names=("Orbel",)).value == "yes"


def test_another_name_right_before_the_act_does_it_unless_it_is_the_subjects_own_person() -> None:
    names = ("Orbel", "Kestrel", "Vantor")
    invaded = evidence("Losses were heavy in Orbel and Kestrel, the paper wrote, days after Vantor invaded Orbel.")
    assert decide_verdict("did orbel invade kestrel", invaded, names=names).value is None
    asked = evidence("She could cut the price on Orbel or ask Kestrel to raise the price of the lamp.")
    assert decide_verdict("is orbel raising prices", asked, names=names).value is None
    for own in ["Orbel spokesperson Ana Ruiz rejected the report.", "A spokesperson for Orbel, Ana Ruiz, rejected "
                "the report.", "Orbel on Monday rejected the report."]:
        assert decide_verdict("did orbel confirm the report", evidence(own), names=names).value == "no", own


def test_after_is_or_was_a_bare_verb_form_is_a_noun_of_the_subject() -> None:
    parsed = parse_yes_no("is the orbel strike over", ("Orbel",))
    assert parsed is not None and parsed.predicate is None
    ongoing = evidence("Kestrel canceled its trade show, citing the cost of ongoing Orbel strikes.")
    assert decide_verdict("is the orbel strike over", ongoing, names=("Orbel",)).value is None
    for question, predicate in [("was the orbel plant shut down", "shut"), ("is the orbel store open on sundays",
                                "open"), ("is the orbel ban lifted", "lift")]:
        parsed = parse_yes_no(question, ("Orbel",))
        assert parsed is not None and parsed.predicate == stem(predicate), question


def test_no_verdict_for_questions_that_are_not_yes_no_or_mixed_evidence() -> None:
    assert decide_verdict("Who confirmed the recall?", evidence("Nordwind confirmed it.")).value is None
    mixed = evidence("Nordwind confirmed the recall.", "Nordwind denied the recall.")
    assert decide_verdict("Did Nordwind confirm the recall?", mixed).value is None


def test_support_verdict_needs_every_claim_and_no_negation() -> None:
    question = "Does the Harbor Ledger report a recall, while the Coastal Times reports a toll vote?"
    assert decide_by_support(question, [0.7, 0.66], threshold=0.62) == "yes"
    assert decide_by_support(question, [0.7, 0.4], threshold=0.62) is None
    assert decide_by_support("Was there no change in the toll plan?", [0.9], threshold=0.62) is None


def between(question: str, first: str, second: str) -> str | None:
    return order_between(question, question.index(first) + len(first), question.index(second))


def test_order_words_that_lead_into_the_second_source_set_the_two_reports_in_time() -> None:
    assert between("Was the recall reported by 'Valley Ledger' before 'Hill Gazette'?",
                   "Valley Ledger", "Hill Gazette") == "before"
    assert between("Did the Valley Ledger report the closure after the Hill Gazette reported the flood?",
                   "Valley Ledger", "Hill Gazette") == "after"
    # A date, not a source, follows the order word: that dates one report and orders nothing.
    assert between("Did the Valley Ledger report it before October 1, 2023, and did the Hill Gazette agree?",
                   "Valley Ledger", "Hill Gazette") is None
    assert decide_by_order("before", date(2024, 3, 1), date(2024, 3, 9)) == "yes"
    assert decide_by_order("after", date(2024, 3, 1), date(2024, 3, 9)) == "no"
    assert decide_by_order("before", date(2024, 3, 1), date(2024, 3, 1)) is None
    assert decide_by_order("before", None, date(2024, 3, 1)) is None


def test_publication_dates_decide_which_source_reported_first(service: NewsService, tmp_path) -> None:
    reports = [
        {"id": "ledger-quarry", "title": "Quarry Lake beach closed after algae bloom", "source": "Valley Ledger",
         "published_at": "2024-06-03T08:00:00", "url": "https://ledger.example/quarry",
         "body": "The county closed the Quarry Lake beach on Sunday after tests found a toxic algae bloom. "
                 "Swimmers were told to stay out of the water until further notice."},
        {"id": "gazette-quarry", "title": "Algae bloom shuts Quarry Lake swimming area", "source": "Hill Gazette",
         "published_at": "2024-06-12T08:00:00", "url": "https://gazette.example/quarry",
         "body": "A toxic algae bloom has shut the swimming area at Quarry Lake, county officials said. "
                 "Swimmers must stay out of the water while tests continue."},
    ]
    path = tmp_path / "quarry.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in reports))
    assert service.add_paths([path]).ok
    earlier = service.ask("Was the Quarry Lake algae bloom closure reported by 'Valley Ledger' before 'Hill Gazette'?")
    assert earlier.verdict == "yes", earlier
    assert [q.article_id for q in earlier.quotes[:2]] == ["ledger-quarry", "gazette-quarry"]
    later = service.ask("Was the Quarry Lake algae bloom closure reported by 'Hill Gazette' before 'Valley Ledger'?")
    assert later.verdict == "no", later


def add_written_articles(service: NewsService, tmp_path, articles: dict[str, str]) -> None:
    """Index articles written for a test: each header (title, source, date lines) and body."""
    folder = tmp_path / "written"
    folder.mkdir()
    for number, (header, body) in enumerate(articles.items()):
        (folder / f"written-{number}.txt").write_text(f"{header}\n\n{body}\n")
    assert service.add_paths([folder]).ok


def assert_verbatim(service: NewsService, answer) -> None:
    for quote in answer.quotes:
        body = service.get_article(quote.article_id).body
        assert body[quote.start:quote.end] == quote.text


@pytest.mark.parametrize("question", ["Did Hyundai confirm the plant deal?", "Hey, did Hyundai confirm the plant deal?",
                                      "hey bot, did hyundai confirm the plant deal?"])
def test_hyundai_did_not_confirm_however_the_member_asks(service: NewsService, question: str) -> None:
    answer = service.ask(question)
    assert answer.verdict == "no" and not answer.abstained, answer.answer
    assert "rejected" in answer.quotes[0].text and "Hyundai" in answer.quotes[0].text
    assert any("groundless" in q.text for q in answer.quotes)
    assert "Hey" not in answer.answer
    assert_verbatim(service, answer)


def test_someone_elses_denial_does_not_answer_for_xiaomi(service: NewsService) -> None:
    answer = service.ask("is xiaomi making cars?")
    assert answer.verdict == "yes", answer.answer
    assert "Xiaomi" in answer.quotes[0].text and "rejected" not in answer.quotes[0].text
    assert_verbatim(service, answer)


# "whos xiaomi working with": no act the lexicon knows, and Beijing (a city) is no one to work with.
@pytest.mark.parametrize("question", ["who is Xiaomi partnering with?", "Which carmaker could Xiaomi team up with?",
                                      "whos xiaomi working with"])
def test_the_partner_is_baic_not_a_name_from_the_question(service: NewsService, question: str) -> None:
    answer = service.ask(question)
    assert answer.short_answer == "BAIC", answer.answer
    assert "BAIC" in answer.quotes[0].text
    assert_verbatim(service, answer)


def test_seed_amounts_the_article_never_gives_abstain(service: NewsService) -> None:
    price = service.ask("How much will Xiaomi's first car cost?")
    assert price.abstained and price.verdict is None and not price.quotes
    revenue = service.ask("nio q3 revenue?")
    assert revenue.abstained and "Q3" not in revenue.answer


def test_a_role_no_sentence_gives_a_person_abstains_and_says_which(service: NewsService, tmp_path) -> None:
    ceo = service.ask("whos xiaomi's ceo")  # the seed names only unnamed executives
    assert ceo.abstained and ceo.short_answer is None and not ceo.quotes, ceo.answer
    assert "Xiaomi" in ceo.answer and "CEO" in ceo.answer
    add_written_articles(service, tmp_path, {
        "Orbel Foods to shut two bakeries\nSource: Valley Ledger\nDate: 2024-06-02":
            "Orbel Foods will close two bakeries in Harrow next year, chief executive Laura Bennett said on Monday."})
    named = service.ask("who is orbel foods' ceo")
    assert named.short_answer == "Laura Bennett" and not named.abstained, named.answer


def test_a_name_is_not_named_by_a_last_word_the_articles_use_as_a_plain_word(service, tmp_path) -> None:
    plain = ["The communications team declined to comment.", "Internal communications were reviewed by lawyers.",
             "He was not candid in his communications with the board.", "Radio communications failed at noon."]
    add_written_articles(service, tmp_path, {
        "Harrow Communications picks a chief\nSource: Valley Ledger\nDate: 2024-06-02":
            "Harrow Communications named Laura Bennett its chief executive officer on Monday.",
        **{f"Notes {n}\nSource: Hill Gazette\nDate: 2024-06-0{n + 3}": text for n, text in enumerate(plain)}})
    with service.kb.reader() as snap:
        focus = read_focus(snap, "who is the ceo of harrow communications")
    assert focus.names == ("Harrow Communications",)
    assert not focus.names_any(held_stems(plain[2]))  # "his communications" names no Harrow Communications
    assert focus.names_any(held_stems("Harrow Communications shares rose."))
    assert Focus("did jannik sinner win", names=("Jannik Sinner",)).names_any(held_stems("Sinner won."))


def test_a_misspelt_name_is_corrected_and_said(service: NewsService) -> None:
    answer = service.ask("did shaomi buy a stake in hyundai's plant?")
    assert answer.interpreted_as and "Xiaomi" in answer.interpreted_as
    assert "Showing results for “Xiaomi”" in answer.answer
    assert not answer.abstained and answer.quotes
    informal = service.ask("whos xiaomi partnering with")
    assert informal.interpreted_as is None and "Showing results" not in informal.answer  # "whos" is no name


def test_two_misspelt_words_side_by_side_that_make_no_name_are_a_name_the_articles_lack(
        service: NewsService, tmp_path) -> None:
    add_written_articles(service, tmp_path, {
        "Kora Systems opens a plant\nSource: Valley Ledger\nDate: 2024-06-02":
            "Kora Systems opened a battery plant in Leeds on Monday.",
        "Ellis Bruff takes the Halden Open\nSource: Hill Gazette\nDate: 2024-06-03":
            "Ellis Bruff won the Halden Open on Sunday, beating the top seed in three sets."})
    lacked = service.ask("did kori bruf win the halden open")
    assert lacked.abstained and "mention kori bruf" in lacked.answer and lacked.interpreted_as is None
    both = service.ask("did elis bruf win the halden open")  # both words of one name misspelt
    assert "Showing results for “Ellis Bruff”" in both.answer and both.verdict == "yes", both.answer


def test_a_rare_word_of_a_name_the_question_names_in_full_is_not_taken_for_a_typo(
        service: NewsService, tmp_path) -> None:
    # "Fain" is one letter from "Fan", a name word the articles use far more often.
    common = {f"Fan Mills trades\nSource: Valley Ledger\nDate: 2024-05-{day:02d}":
              f"Fan Mills shares rose {day}% on the day, Fan Mills traders said." for day in range(1, 29)}
    add_written_articles(service, tmp_path, {
        **common, "Union picks a leader\nSource: Hill Gazette\nDate: 2024-06-03":
            "Union president Dara Fain told members that the ferry deal would be put to a vote."})
    answer = service.ask("who is dara fain")
    assert "Showing results" not in answer.answer and "Dara Fain" in answer.quotes[0].text, answer.answer


def test_abstains_on_names_and_outlets_the_articles_never_mention(service: NewsService) -> None:
    unknown_name = service.ask("Did Zephyrine Okonkwo-Baptiste confirm the turbine recall?")
    assert unknown_name.abstained and "Zephyrine Okonkwo-Baptiste" in unknown_name.answer
    unknown_outlet = service.ask("What did the Quillfeather Gazette article say about the bridge toll?")
    assert unknown_outlet.abstained and "Quillfeather Gazette" in unknown_outlet.answer


def test_answers_a_question_about_a_test_article_with_its_fact(service: NewsService) -> None:
    answer = service.ask("Who led the Lumen Labs funding round?")
    assert not answer.abstained
    assert answer.short_answer == "Greenfield Ventures"
    assert "Greenfield Ventures" in answer.quotes[0].text


def test_verdicts_and_typed_answers_on_written_articles(service: NewsService, tmp_path) -> None:
    add_written_articles(service, tmp_path, {
        "Acme lifts prices across its range\nSource: Valley Ledger\nDate: 2024-05-02":
            "Acme raised prices by 5% on Monday, citing the cost of steel. "
            "The company said the rise would add $40 to the price of its Rover bicycle. "
            "When will the next rise come? Acme did not say.",
        "Brackwater council throws out ferry toll\nSource: Hill Gazette\nDate: 2024-05-03":
            "The Brackwater council voted the ferry toll plan down on Tuesday by seven votes to two. "
            "Councillor Imogen Tate said residents had been clear that they did not want the toll."})
    raised = service.ask("Has Acme raised its prices?")
    assert raised.verdict == "yes" and "raised prices" in raised.quotes[0].text, raised.answer
    vote = service.ask("did the brackwater council approve the ferry toll?")
    assert vote.verdict == "no" and "voted the ferry toll plan down" in vote.quotes[0].text, vote.answer
    amount = service.ask("how much will the acme rover cost now")
    assert not amount.quotes[0].text.endswith("?")  # a question in an article never leads
    for answer in (raised, vote, amount):
        assert_verbatim(service, answer)


def test_who_is_a_name_alone_gets_no_other_name_as_its_answer(service: NewsService) -> None:
    asked = service.ask("yo whos baic")
    assert asked.short_answer is None and asked.quotes, asked.answer  # not "Xiaomi": the quotes say what BAIC is
    # A relation asked after "who's", or a curly apostrophe, is not "who is <name>".
    assert service.ask("who’s xiaomi partnering with").short_answer == "BAIC"
    assert service.ask("when’s xiaomi starting production").short_answer == "the first half of 2024"


def test_an_amount_asked_of_two_names_comes_from_an_article_that_names_both(service: NewsService, tmp_path) -> None:
    add_written_articles(service, tmp_path, {
        "Mara Quell and friends start a research lab\nSource: Valley Ledger\nDate: 2024-06-01":
            "In 2015 Mara Quell and two partners pledged to put $1 billion into the lab, which Quell would help "
            "run. "
            "The lab later became a company.",
        "Quell backs teen founders\nSource: Valley Ledger\nDate: 2024-06-02":
            "Mara Quell is one of the backers of Tallyworks, an office-automation startup that two teenagers "
            "founded. "
            "Tallyworks did not say how much it raised."})
    backed = service.ask("how much money did mara quell put into tallyworks")
    assert backed.abstained and "but not the amount" in backed.answer, backed.answer  # the $1 billion was the lab's
    assert service.ask("how much did quell pledge to the lab").short_answer == "$1 billion"


def test_a_count_of_units_counts_the_cars_a_plant_makes(service: NewsService) -> None:
    assert service.ask("how many cars a year can the plant build").short_answer == "3,00,000"
    made = service.ask("how many cars will the plant make")
    assert not made.abstained and "3,00,000 units" in made.quotes[0].text, made.answer  # the articles do say


def test_q3_is_named_by_the_third_quarter(service: NewsService, tmp_path) -> None:
    add_written_articles(service, tmp_path, {
        "Orbel results\nSource: Valley Ledger\nDate: 2024-06-01":
            "Orbel said its third-quarter revenue was $40 million, up from $31 million a year earlier.",
        "Lumen results due\nSource: Valley Ledger\nDate: 2024-06-02":
            "Lumen will publish its Q3 results on Friday, and analysts expect a Q3 loss."})
    revenue = service.ask("orbel q3 revenue?")
    assert not revenue.abstained and "third-quarter revenue" in revenue.quotes[0].text, revenue.answer


def test_what_a_film_made_on_its_opening_weekend_asks_an_amount_the_articles_lack(service, tmp_path) -> None:
    add_written_articles(service, tmp_path, {
        "The Lantern Keeper opens wide\nSource: Valley Ledger\nDate: 2024-06-02":
            "The Lantern Keeper opened in 3,000 theaters on Friday, Pellmore Pictures said. Critics praised its "
            "score, and the studio plans a sequel for 2026."})
    takings = service.ask("what did the lantern keeper make on its opening weekend")
    assert takings.abstained and "amount" in takings.answer, takings.answer
    assert not service.ask("what did the lantern keeper critics praise").abstained


def test_a_denial_agrees_with_a_question_that_asks_whether_it_was_denied() -> None:
    denied = evidence("A Korvath spokesperson rejected the claim, calling it baseless.")
    assert decide_verdict("did korvath call the claim groundless", denied).value == "yes"
    assert decide_verdict("did korvath deny the claim", denied).value == "yes"
    assert decide_verdict("did korvath confirm the claim", denied).value == "no"
    # A denial asked about must name what it denies: rejecting a report is no rejecting a ruling.
    assert decide_verdict("did korvath reject the ruling", denied).value is None


def test_a_month_asked_about_must_be_said_and_an_order_to_act_is_no_act() -> None:
    question = "did the central bank raise rates in june"
    assert decide_verdict(question, evidence("The central bank has raised rates twice this year.")).value is None
    assert decide_verdict(question, evidence("The central bank raised rates in June.")).value == "yes"
    ordered = [EvidenceSentence("The regulator issued an order to stop selling the Lumen in stores.", 0.6,
                                "Orbel's Lumen faces a ban"),
               EvidenceSentence("Orbel was ordered to stop selling the Lumen.", 0.6)]
    assert decide_verdict("did orbel stop selling the lumen", ordered).value is None


def test_an_act_another_name_owns_is_not_the_subjects() -> None:
    question = "did orbel attack harrow"
    owned = evidence("Orbel's tariffs on Harrow rose sharply after Varga's surprise attack on Harrow in May.")
    assert decide_verdict(question, owned).value is None
    assert decide_verdict(question, evidence("Orbel's surprise attack on Harrow came in May.")).value == "yes"


def test_an_act_under_if_or_whether_is_not_done() -> None:
    question = "did orbel settle with harrow"
    assert decide_verdict(question, evidence("Orbel wouldn't say if it has offered Harrow a settlement.")).value is None
    assert decide_verdict(question, evidence("Orbel settled with Harrow in May.")).value == "yes"


def test_a_denial_answers_only_whether_the_subject_said_or_granted_something() -> None:
    # What someone denies having done is their claim: the article reports it, it does not settle it.
    assert decide_verdict("did varga commit fraud",
                          evidence("Varga has denied any wrongdoing.")).value is None
    assert decide_verdict("did varga sign the ferry contract",
                          evidence("Varga denied knowledge of the matter.")).value is None
    assert decide_verdict("did varga confirm the ferry contract",
                          evidence("Varga denied the report.")).value == "no"
    assert decide_verdict("did varga accept the ferry contract",
                          evidence("Varga rejected the ferry contract.")).value == "no"


def test_an_opposite_act_answers_no_only_when_it_names_every_thing_asked_about() -> None:
    question = "did korvath raise ferry prices"
    assert decide_verdict(question, evidence("Korvath's bus pass price dropped to a new low of $20.")).value is None
    assert decide_verdict(question, evidence("Korvath cut ferry prices by 5% on Monday.")).value == "no"
    assert decide_verdict(question, evidence("Korvath raised ferry prices by 5% on Monday.")).value == "yes"


def test_another_start_and_another_rest_make_no_typo_of_a_name(tmp_path, embedder) -> None:
    """"Xiaomi", which no article names, is not read as "Miami": two edits that change its first
    letter make another name unless the rest is the same ("shaomi" is still Xiaomi, its start
    misheard)."""
    article = tmp_path / "miami.txt"
    article.write_text("Inter Miami open a new stadium\nSource: Valley Ledger\nDate: 2024-06-02\n\n"
                       "Inter Miami is partnering with Orbel Bank on its new stadium, the club said on Monday.\n")
    service = NewsService(settings_for(tmp_path / "kb"), embedder=embedder)
    try:
        assert service.add_paths([article]).ok
        answer = service.ask("who is Xiaomi partnering with?")
        assert answer.abstained and "Xiaomi" in answer.answer and answer.short_answer is None
        assert service.ask("who is Inter Miami partnering with?").short_answer == "Orbel Bank"
    finally:
        service.close()
