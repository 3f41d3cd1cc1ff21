"""bot.engine.syntax: whether a name takes part in the act asked about, by spaCy's parse."""

from __future__ import annotations

import pytest

from bot.engine.syntax import (
    act_concerns,
    contest_side,
    dates_an_act_to_come,
    doer_of_act_on,
    is_acted_on,
    objects_of_act,
    takes_another_object,
    takes_part,
    within_object_of_act,
)


def part(text: str, name: str, predicate: str) -> bool:
    start = text.index(name)
    return takes_part(text, start, start + len(name), predicate)


@pytest.mark.parametrize(("text", "name", "predicate"), [
    ("Mara Quist won the Orbel Cup on Sunday.", "Mara Quist", "won"),
    ("The Orbel Cup was won by Mara Quist.", "Mara Quist", "won"),
    ("Pellmore was founded in 2019 by engineer Tomas Varga, and it grew fast.", "Tomas Varga", "founded"),
    ("The founder and face of Pellmore, Tomas Varga, spoke first.", "Tomas Varga", "founded"),
    ("Quist was named chair and coach of the Harrow club.", "Quist", "coach"),
])
def test_the_doer_of_the_act_takes_part(text: str, name: str, predicate: str) -> None:
    assert part(text, name, predicate)


@pytest.mark.parametrize(("text", "name", "predicate"), [
    ("Pundit Dana Kell described the Orbel Cup winner's move to Harrow as bold.", "Dana Kell", "won"),
    ("Lena Voss criticised the founder of Vantor at the summit.", "Lena Voss", "founded"),
])
def test_a_name_beside_the_act_is_not_its_doer(text: str, name: str, predicate: str) -> None:
    assert not part(text, name, predicate)


def test_a_sentence_without_the_act_cannot_tell() -> None:
    assert part("Mara Quist smiled.", "Mara Quist", "won")


def test_a_place_after_the_winners_move_is_not_the_winner() -> None:
    assert not part("Pundit Dana Kell described the Orbel Cup winner's move to Harrow as bold.", "Harrow", "won")
    assert part("Mara Quist is the Orbel Cup winner.", "Mara Quist", "won")


DEFEATS = ("Comfortable defeats of Harrow, Kestrel and Vantor could not mask the disappointment of the 13-8 "
           "loss to Orbel.")


@pytest.mark.parametrize(("text", "name", "side"), [
    ("Orbel went on to win their first cup, defeating the Lyon Lions in the final.", "Lyon Lions", "loser"),
    (DEFEATS, "Kestrel", "loser"),
    (DEFEATS, "Orbel", "winner"),
    ("It was the match he lost against Mara Quist in the Orbel Cup.", "Mara Quist", "winner"),
    ("Kestrel were beaten by Harrow in Leeds.", "Kestrel", "loser"),
    ("Kestrel were beaten by Harrow in Leeds.", "Harrow", "winner"),
    ("Orbel won the cup after a victory over Vantor.", "Vantor", "loser"),
    ("Orbel won the cup after a victory over Vantor.", "Orbel", "winner"),
    ("Kestrel, who won the cup in May, came second this time.", "Kestrel", "winner"),
    ("Kestrel did not win the cup this year.", "Kestrel", "negated"),
    ("Orbel beat Lyon to lift the Kestrel Cup trophy.", "Kestrel Cup", "prize"),
    ("Orbel beat Lyon to lift the Kestrel Cup trophy.", "Lyon", "loser"),
    ("It was her first Vantor Open victory since 2019.", "Vantor Open", "prize"),
    ("With the final of the Orbel Cup won by Kestrel, the list is complete.", "Kestrel", "winner"),
    ("With the final of the Orbel Cup won by Kestrel, the list is complete.", "Orbel Cup", "prize"),
    ("Watch: Every Lyon Team That Has Never Won the Orbel Cup", "Lyon", "negated"),
    ("Quell upset Sarah Briggs to win the IBF and Ring belts.", "Ring", "prize"),
    # what a side loses (a player, to injury) is no side of the contest
    ("Given the state of the Harrow line after losing guard Dana Kell to a season-ending injury, "
     "the win was a surprise.", "Dana Kell", "prize"),
])
def test_the_side_of_a_contest_a_name_is_on(text: str, name: str, side: str | None) -> None:
    start = text.index(name)
    assert contest_side(text, start, start + len(name)) == side


def test_a_date_of_an_act_still_to_come_is_not_when_it_was_done() -> None:
    def to_come(text: str, date: str, act: str, done: bool = True) -> bool:
        start = text.index(date)
        return dates_an_act_to_come(text, start, start + len(date), act, asked_done=done)
    told = "Staff were told on Tuesday night that Laura Bennett would be dismissed."
    assert to_come(told, "Tuesday", "dismissed")  # dates the telling
    assert not to_come("The board said on Friday it had dismissed Laura Bennett.", "Friday", "dismissed")
    assert not to_come("Laura Bennett was dismissed on Friday.", "Friday", "dismissed")
    talks = "The board is in talks with Bennett to return as chief executive as soon as next week."
    assert to_come(talks, "next week", "return")  # asked when she returned
    assert not to_come(talks, "next week", "return", done=False)  # asked when she will


def test_a_win_in_the_sentence_must_be_of_what_is_asked() -> None:
    text = "In the final, Lyon will face an Orbel side led by Quist, who beat Tomas Varga twice this month."
    final = (text.index("final"), text.index("final") + len("final"))
    assert not act_concerns(text, "won", [final])  # Quist's win is over Varga, not the final ahead
    won = "Quist won the final in straight sets."
    assert act_concerns(won, "won", [(won.index("final"), won.index("final") + 5)])


def test_what_an_act_was_done_to_is_read_from_its_verb() -> None:
    sued = "Much as Harbor Images sued Orbel Labs over its tool, Mara Quell is suing Pellmore."
    assert objects_of_act(sued, "sued") == ["Orbel Labs", "Pellmore"]
    partner = "Xiaomi is partnering with Kestrel Motors, and the defense questioned Tomas Varga."
    start = partner.index("Kestrel Motors")
    assert is_acted_on(partner, start, start + 14, "partnering")
    assert not is_acted_on(partner, start, start + 14, "partnering", directly=True)  # a partner, not acted on
    start = partner.index("Tomas Varga")
    assert is_acted_on(partner, start, start + 11, "questioned", directly=True)


def test_a_name_inside_the_object_of_the_act_is_not_its_doer() -> None:
    text = "As the search goes on, Harrow has appointed Tomas Varga, the co-founder of video site Lumo, as interim CEO."
    lumo, harrow = text.index("Lumo"), text.index("Harrow")
    assert within_object_of_act(text, lumo, lumo + 4, "hired")
    assert not within_object_of_act(text, harrow, harrow + 6, "hired")
    # a fragment whose root is a noun ends the climb at the root (it looped there once)
    fragment = "Harrow's new chief Tomas Varga of Lumo"
    assert not within_object_of_act(fragment, fragment.index("Lumo"), len(fragment), "hired")


def test_the_doer_of_an_act_is_found_through_the_verbs_it_completes() -> None:
    text = "Harrow will say the competition is from Lyon, because people can choose to buy a Vela instead."
    vela = text.index("Vela")
    assert doer_of_act_on(text, vela, vela + 4, "buy") == "people"
    assert doer_of_act_on("Orbel bought Lumo in 2021.", 13, 17, "buy") == "Orbel"


def test_an_act_with_an_object_of_its_own_is_told_from_one_on_the_thing() -> None:
    text = "Despite the losses, the company has made good progress this year."
    made = text.index("made")
    assert takes_another_object(text, made, made + 4, lambda phrase: "loss" in phrase)
    sold = "The Ledger survived, as Korvath sold the paper to its editor."
    at = sold.index("sold")
    assert not takes_another_object(sold, at, at + 4, lambda phrase: "Ledger" in phrase)  # "the paper" may be it
