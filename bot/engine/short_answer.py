"""Typed short answers: a span of the asked-for type, taken from the best sentences.

Usage::

    from bot.engine.short_answer import choose_short_answer
    pick = choose_short_answer(question, focus, ranked_sentences)
    pick.text, pick.sentence.text   # "BAIC", "... the company is contemplating joining forces with BAIC ..."

The candidates are the typed spans (see :mod:`bot.engine.spans`) in the top sentences that are
about the question (they hold enough of its focus terms). Each is scored by the rank of
its sentence, its distance to the question's words in that sentence (the answer sits
beside what was asked), and how many articles give it (TREC systems found proximity and
redundancy the strongest signals). The question's own names are never the answer. When
the best candidate does not clearly win, there is no short answer: the quote answers.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from rapidfuzz.distance import DamerauLevenshtein

from bot.engine.evidence import (
    RankedSentence,
    asks_casting,
    beside_act,
    cast_part,
    formerly_titled,
    plays_asked_part,
    role_word_before,
    titled_elsewhere,
)
from bot.engine.focus import Focus, held_stems, without_article, words
from bot.engine.lexicon import failed_before, is_known_act, related_stems, undone_after
from bot.engine.question import CHANGE_WORDS, SINCE, Question, asks_maker, is_role, product_class_before
from bot.engine.spans import PATTERNS, SAYS_A_NUMBER, TypedSpan, is_relative_date
from bot.engine.syntax import (
    act_concerns,
    contest_side,
    dates_an_act_to_come,
    doer_of_act_on,
    is_acted_on,
    modifies_a_noun,
    objects_of_act,
    takes_another_object,
    takes_part,
    within_object_of_act,
)
from index.text import STOP_WORDS as STOPWORDS
from index.text import stem


@dataclass(frozen=True)
class ShortAnswerSettings:
    # Chosen on the natural dev questions as a precision target: each step stricter
    # removes about one wrong short answer for each right one it loses (see the note).
    sentences: int = 3          # how deep into the ranking candidates are taken from
    min_coverage: float = 0.6   # of the focus terms, for a sentence to count as about the question
    titled_coverage: float = 0.4  # ... when it titles a person with the role asked (its title says whose)
    min_score: float = 0.6
    min_margin: float = 1.25    # the winner over the runner-up
    proximity_chars: float = 60.0


@dataclass(frozen=True)
class ShortAnswer:
    text: str
    sentence: RankedSentence
    score: float


# Name types: a sentence holds many names, and the one asked for is the act's doer or holder.
PARSED_KINDS = frozenset({"person", "organization"})
_YEAR = re.compile(r"^(?:19|20)\d\d$")


def _key(text: str) -> str:
    return " ".join(words(text))


def _proximity(sentence: RankedSentence, span: TypedSpan, focus: Focus, settings: ShortAnswerSettings) -> float:
    """1 beside a term of the question, falling with the distance in characters."""
    positions = [m.start() + sentence.start for m in re.finditer(r"[\w'’-]+", sentence.text)
                 if focus.is_term(m.group(0))]
    if not positions:
        return 0.3
    gap = min(min(abs(p - span.start), abs(p - span.end)) for p in positions)
    return 1.0 / (1.0 + gap / settings.proximity_chars)


# "down from 25.1%", "up from $3m", "compared with 40": the earlier value, not the one asked for.
_EARLIER_VALUE = re.compile(r"(?:\bfrom|\bcompared\s+(?:with|to)|\bversus|\bvs\.?)\s+(?:about\s+|around\s+)?$",
                            re.IGNORECASE)


# "$3,801 — a 2,321% increase from her 2018 tour, where the average was $157": what follows
# the comparison, in the same clause, describes the earlier value.
# The value after "to" is the new one ("down 5% from a year earlier, to $300m").
_AFTER_COMPARISON = re.compile(r"\b(?:increase|decrease|rise|jump|drop|fall|decline|climb|up|down)\s+from\s+"
                               r"(?:(?!\bto\b)[^;.!?])*[A-Za-z](?:(?!\bto\b)[^;.!?])*$", re.IGNORECASE)


def _placement(sentence: RankedSentence, span: TypedSpan, body: str, asked: _Asked) -> float:
    """How the span sits in its sentence: beside the act asked about counts more ("winning
    $185,000 each"), and so does the one cast in the part asked about; a value the sentence
    compares against counts less."""
    predicate = asked.predicate
    earlier = _EARLIER_VALUE.search(body[max(sentence.start, span.start - 25):span.start]) or \
        _AFTER_COMPARISON.search(body[sentence.start:span.start])
    weight = 0.5 if earlier else 1.0
    if asks_casting(predicate) and plays_asked_part(cast_part(body, span), asked.focus.names):
        weight *= 2.0
    if span.kinds == ("date",) and is_relative_date(body[span.start:span.end]):
        weight *= 0.5
    if predicate == SINCE:  # "since when": only the date "since" governs ("since 2015, and in 2021 ...")
        return weight * (2.0 if re.search(r"\bsince\s+(?:the\s+)?$", body[max(0, span.start - 12):span.start],
                                          re.IGNORECASE) else 1.0)
    if predicate and beside_act(body, sentence.start, sentence.end, span, predicate, window=40):
        # A role held as a title ("CEO Lena Voss") names its holder; an act nearby only suggests it.
        weight *= 2.0 if is_role(predicate) else 1.25
    elif predicate and is_role(predicate) and "person" in span.kinds and \
            _made_role(body, sentence.end, span, predicate):
        weight *= 2.0  # ... and so does being made it ("Jubelirer was named Chair & CEO of Capitol Music Group")
    return weight


# A time before something ("the 13 days leading up to the truce") is not how long it lasts.
_LEADING_UP = re.compile(r"\s*,?\s*(?:leading\s+up\s+to|before|ahead\s+of|prior\s+to|in\s+the\s+run-up\s+to)\b",
                         re.IGNORECASE)
# Past or present words for the day of writing; one to come ("next week") still says how far off.
_DEICTIC_DATE = re.compile(r"(?:(?:just\s+|earlier\s+)?(?:today|tonight|yesterday|now|recently|"
                           r"(?:this|last)\s+(?:morning|afternoon|evening|night|week|weekend|month|year)))",
                           re.IGNORECASE)
_ASIDE = r"(?:\([^)]{0,60}\)\s+)?"
_BECAME = (rf"\s+{_ASIDE}(?:is|was|has\s+been|had\s+been|became|becomes|will\s+become)\s+{_ASIDE}"
           r"(?:(?:named|appointed|promoted|elected|made|hired|installed|confirmed)\s+(?:as\s+|to\s+)?)?"
           r"(?:the\s+|its\s+|their\s+|as\s+)?(?:[\w&/’'-]+\s+){0,3}?")


def _made_role(body: str, end: int, span: TypedSpan, role: str) -> bool:
    """The person is said to be, or to have been made, the role right after the name."""
    return re.compile(rf"{_BECAME}{re.escape(role)}\b", re.IGNORECASE).match(body, span.end, end) is not None


def _common_word(text: str, sentence: RankedSentence, body: str) -> bool:
    """A one-word span that opens its sentence and that the article also writes in lower
    case ("National mental health organisation ...") is a word, not a name."""
    return " " not in text and sentence.text.startswith(text) and \
        re.search(rf"(?<![\w]){re.escape(text.lower())}(?![\w])", body) is not None


def _says_the_act(text: str, predicate: str | None) -> bool:
    """A span that says the act asked about is a heading's words, not who did it: "Winners
    List" of a heading "Harrow Cup: Winners List", asked who won. (A role may stand in a
    name's span: "CEO Laura Bennett".)"""
    if not predicate or is_role(predicate):
        return False
    acts = _act_stems(predicate)
    return any(stem(w) in acts for w in words(text))


def _act_stems(predicate: str) -> frozenset[str]:
    """The stems that say the act asked about: its own and its synonyms'."""
    return related_stems(stem(predicate))[0] | {stem(predicate)}


# Short capitalised terms that name a field, not an answer ("AI", "EV", "US").
_GENERIC_TERMS = frozenset("ai ev evs us uk eu un tv pc ceo cto cfo ipo etf nft vr ar app apps api gpu cpu llm "
                           "llms q1 q2 q3 q4 inc co corp ltd llc ip".split())
_ASKS_SOURCE = re.compile(r"\b(?:report\w*|according|source|outlet|publication|newspaper|wrote|write|cover\w*)\b",
                          re.IGNORECASE)


def _fits(text: str, kinds: Sequence[str], outlets: set[str]) -> bool:
    if "number" in kinds and (_YEAR.match(text.strip()) or PATTERNS["score"].fullmatch(text.strip())):
        return False  # a bare year is a date, and "23-20" a score, not a count
    if _key(text) in _GENERIC_TERMS or text.lower() in outlets:
        return False
    if " " in text and text.isupper():
        return False  # "T-MOBILE ARENA, LAS VEGAS —": a dateline in capitals, not a name
    return len(text.split()) <= (5 if kinds == ("person",) else 8)


def choose_short_answer(question: Question, focus: Focus, ranked: Sequence[RankedSentence],
                        body_of: dict[str, str], outlets: Sequence[str] = (),
                        settings: ShortAnswerSettings | None = None,
                        years: Mapping[str, int] | None = None) -> ShortAnswer | None:
    """The span that answers, or None when no candidate clearly wins."""
    s = settings or ShortAnswerSettings()
    if not question.wants_span:
        return None
    if (named := _named_around_nickname(focus, ranked[: s.sentences])) is not None:
        return named
    if _asks_what_it_is(question, focus):
        return None
    if question.predicate and is_role(question.predicate) and \
            not set(focus.weights) - related_stems(stem(question.predicate))[0] - {stem(question.predicate)}:
        return None  # "who is the ceo of x": no word says whose chief, so any CEO would be a guess
    # The outlets that publish the articles are not answers, unless the question asks who reported.
    skip = frozenset() if _ASKS_SOURCE.search(focus.text) else frozenset(o.lower() for o in outlets)
    asked = _Asked(focus, skip, question.predicate, question.answer_type, question.named_class,
                   question.asks_object, years or {}, bool(_MEASURED.match(question.text)),
                   bool(_AGE.match(question.text)), asks_maker(question.text))
    kinds = (question.answer_type,)
    if question.answer_type == "number" and not question.predicate:
        kinds += question.also  # "how big was the round": a size may be an amount; nothing is counted
    found = _candidates(asked, ranked, body_of, s, *kinds)
    # "who is Xiaomi partnering with?": no person is named, so a company may be the answer; but
    # "how many games" counts games, so no amount answers it.
    counted = question.predicate and kinds == ("number",)
    other = [k for k in question.also if not (counted and k in ("money", "percent"))]
    if not found[0] and other:
        found = _candidates(asked, ranked, body_of, s, *other)
    pick = _winner(*found, s, places=question.answer_type == "place")
    if pick is None:
        return None
    text = pick.text
    if question.answer_type == "person":  # "Loading Australia" is no full name of a country
        body = body_of[pick.sentence.article_id]
        text = usual_spelling(full_name(_with_its_surname(text, pick.sentence, body), pick.sentence, body),
                              body_of.values())
    return ShortAnswer(text, pick.sentence, pick.score)


_ASKS_REAL_NAME = re.compile(r"\b(?:real|full|actual|birth|legal)\s+name\b", re.IGNORECASE)
_NAME_WORDS = r"[A-Z][\w'’.-]+(?:\s+[A-Z][\w'’.-]+)?"


def _named_around_nickname(focus: Focus, top: Sequence[RankedSentence]) -> ShortAnswer | None:
    """Asked a real name, the name a sentence writes around the nickname asked about, as news
    introduces one: "Alia “SSSniperwolf” Shelesh" is Alia Shelesh."""
    if not _ASKS_REAL_NAME.search(focus.text):
        return None
    for sentence in top:
        for around in _AROUND_NICKNAME.finditer(sentence.text):
            nickname = words(around.group(2))
            if nickname and all(stem(w) in focus.question_stems for w in nickname) and not sentence.is_question:
                return ShortAnswer(f"{around.group(1)} {around.group(3)}", sentence, 1.0)
    return None


_AROUND_NICKNAME = re.compile(rf"([A-Z][\w'’.-]+)\s+[“\"‘']([^”\"’']{{2,40}})[”\"’']\s+({_NAME_WORDS})")


def _asks_what_it_is(question: Question, focus: Focus) -> bool:
    """"whos baic", "who is Lena Voss?": a name alone after "who is", no act or role asked,
    asks who or what it is; another name in the quotes is no answer."""
    lowered = focus.text.lower().replace("’", "'")
    rest = re.sub(r"^\s*who(?:'s|s|\s+(?:is|are|was|were))\b", "", lowered)
    left = [w for w in words(rest) if w not in STOPWORDS]
    # "who is xiaomi partnering with" asks for a partner: an act word or a closing preposition.
    relation = any(is_known_act(stem(w)) or w.endswith(("ing", "ed")) for w in left) or \
        re.search(r"\b(?:with|to|for|by|of|against|behind)\W*$", rest) is not None
    return rest != lowered and not question.predicate and 0 < len(left) <= 3 and not relation


@dataclass(frozen=True)
class _Asked:
    """What a candidate is checked against: the question's words and names, the outlets that
    are not answers, and the act or role the answer must stand in."""

    focus: Focus
    outlets: frozenset[str]
    predicate: str | None
    kind: str = "open"  # the answer type asked for
    named_class: str | None = None  # "band" of "danny elfman's old band?"
    asks_object: bool = False  # "who did canelo beat": the one beaten
    years: Mapping[str, int] = field(default_factory=dict)  # article id → the year it was published
    measured: bool = False  # "how thick is it": a count is an answer only with its unit
    age: bool = False  # "how old is she": only "48 years old" answers, not "for 25 years"
    maker: bool = False  # "what company makes chatgpt": what a sentence says is made is no maker

    @property
    def contest(self) -> bool:
        """The act asked about is winning or losing ("who won", "who beat", "who lost")."""
        return bool(self.predicate and related_stems(stem(self.predicate))[0] & _CONTEST)


_YEAR_IN = re.compile(r"\b(?:19|20)\d\d\b")
_LAST_EDITION = re.compile(r"\blast\s+(?:year|season)['’]s\b|\b(?:a|one)\s+year\s+(?:ago|earlier)\b", re.IGNORECASE)
_CONTEST = related_stems(stem("win"))[0] | related_stems(stem("lose"))[0]


def _an_earlier_contest(sentence: RankedSentence, asked: _Asked) -> bool:
    """A contest is held again every year, so "who won the final" or "what was the score in
    the final" asks about the latest: a sentence that dates its win or game to a year before
    its article's, when the question names no year, is about an earlier edition. (A founding
    or an appointment happens once, so "founded in 2000" still answers "who founded it".)"""
    published = asked.years.get(sentence.article_id)
    if not published or not (asked.kind == "score" or asked.contest) or _YEAR_IN.search(asked.focus.text):
        return False
    if _LAST_EDITION.search(sentence.text):
        return True  # "Australia, who lost last year's final to Canada"
    # Every year the sentence writes, tagged as a date or not ("after the 2021 season" is not),
    # but a year it measures from: "their first win over the Utes since 2015" dates no game.
    return _before_its_article(_SINCE_YEAR.sub(" ", sentence.text), published)


_SINCE_YEAR = re.compile(r"\bsince\s+(?:the\s+)?(?:19|20)\d\d\b", re.IGNORECASE)


def _wins_what_is_asked(sentence: RankedSentence, asked: _Asked) -> bool:
    """A win or loss in the sentence is of the contest asked about: the parse links the act
    to one of the question's other words ("the final"), not only to a rival beaten."""
    if asked.kind not in PARSED_KINDS or not asked.contest:
        return True  # "how much did X lose": a loss of money, not a contest
    names = {stem(w) for name in asked.focus.names for w in words(name)}
    act_words = related_stems(stem(asked.predicate))[0]
    terms = [(m.start(), m.end()) for m in re.finditer(r"[\w'’-]+", sentence.text)
             if asked.focus.is_term(m.group(0)) and stem(m.group(0)) not in names
             and stem(m.group(0)) not in act_words and m.group(0).lower() not in _TIME_WORDS]
    return act_concerns(sentence.text, asked.predicate, terms)


_WINNING = related_stems(stem("win"))[0]


def _another_prize(sentence: RankedSentence, asked: _Asked) -> bool:
    """The sentence names what was won with a field of its own ("the Nobel Prize in
    medicine") and lacks one of the question's three heaviest words ("peace"): another prize
    of the name."""
    field = _PRIZE_IN.search(sentence.text)
    if field is None or stem(field.group(1)) in asked.focus.question_stems:
        return False
    held = held_stems(sentence.text)
    return any(term not in held for term, _ in asked.focus.rarest[:3])


_PRIZE_IN = re.compile(r"\b(?:Prize|Award|Medal|Cup|Trophy|Championship|Title)s?\s+(?:in|for)\s+(?:the\s+)?([a-z]+)")
# When a contest was is no contest of its own ("upsetting Rook to win the belt last year").
_TIME_WORDS = frozenset("last this next year season week month weekend ago".split())


def _on_the_other_side(sentence: RankedSentence, span: TypedSpan, asked: _Asked) -> bool:
    """Asked who won, the one beaten; asked who lost, the one who beat them; asked who one
    beat, the one who beat them; and what was won ("to win the IBF and Ring belts")."""
    if not asked.contest or not set(span.kinds) & PARSED_KINDS:
        return False
    side = contest_side(sentence.text, span.start - sentence.start, span.end - sentence.start)
    return side is not None and side != _side_asked(asked)


def _side_asked(asked: _Asked) -> str:
    """"who won", "who beat X": the winner; "who lost", "who did X beat": the loser."""
    return "winner" if (stem(asked.predicate) in _WINNING) != asked.asks_object else "loser"


def _a_side_of_the_contest(sentence: RankedSentence, span: TypedSpan, asked: _Asked) -> bool:
    """A place on the side asked for is a team ("lost to Kansas City", "Australia beat
    India"), whatever kind of name the question asks for."""
    return asked.contest and contest_side(sentence.text, span.start - sentence.start,
                                          span.end - sentence.start) == _side_asked(asked)


_PAID_FOR = re.compile(r"\s+(?:(?:in\s+)?(?:cash\s+)?(?:to|in\s+order\s+to)\s+(?:buy|acquire|purchase|take\s+over)|"
                       r"for)\s+(?:the\s+)?([A-Z][\w'’&.-]*(?:\s+[A-Z][\w'’&.-]*)*)")
_WHEN_WORDS = frozenset("monday tuesday wednesday thursday friday saturday sunday january february march april may "
                        "june july august september october november december christmas q1 q2 q3 q4".split())


def _paid_for_another(body: str, end: int, span: TypedSpan, focus: Focus) -> bool:
    """The amount is said to be for a named thing the question does not ask about:
    "£4bn to buy Chelsea", "$26bn for LinkedIn", asked about another deal."""
    bought = _PAID_FOR.match(body, span.end, end)
    return bought is not None and _names_another(bought.group(1), focus)


def _names_another(name: str, focus: Focus) -> bool:
    """A capitalised run names something the question does not (a day or month is no thing)."""
    named = [w for w in words(name) if w not in STOPWORDS and w not in _WHEN_WORDS]
    return bool(named) and not any(stem(w) in focus.question_stems for w in named)


_FROM_SOURCE = re.compile(r"\s+(?:in\s+)?(?:[a-z]+\s+){0,2}(?:revenue|sales|income|profits?|earnings)\s+from\s+"
                          r"((?:[\w'’-]+\s*){1,3})")
_OF_A_KIND = re.compile(r"\s+in\s+([a-z]+(?:\s+[a-z]+)?)\s+(?:revenue|sales|income|profits?|earnings)\b")
_WHOLE = frozenset("total annual net gross overall quarterly yearly full-year operating".split())


def _earned_from_another(body: str, end: int, span: TypedSpan, focus: Focus) -> bool:
    """The amount is earned from one source or of one kind the question does not ask about:
    "$8.4 million in revenue from contributions and grants", "$76 million in subscription
    revenue" are parts of the revenue, not all of it."""
    source = _FROM_SOURCE.match(body, span.end, end) or _OF_A_KIND.match(body, span.end, end)
    named = [w for w in words(source.group(1)) if w not in STOPWORDS and w not in _WHOLE] if source else []
    return bool(named) and not any(stem(w) in focus.question_stems for w in named)


_TITLE_AFTER = re.compile(r"\s+((?:[a-z][\w-]*\s+){1,2}|[A-Z]{2,4}\s+)([A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+){0,2})")


def _someone_elses(body: str, end: int, span: TypedSpan, focus: Focus) -> bool:
    """An organisation that titles a person the question does not name ("Chicago Fire
    midfielder Xherdan Shaqiri", "Argentina head coach Lionel Scaloni", "Quora CEO Adam
    D'Angelo") is theirs. A name the tagger took for a person's is an organisation when a
    role follows it ("Quora CEO"); any other words after a person ("Sam Altman told
    reporters Monday") title no one."""
    titled = _TITLE_AFTER.match(body, span.end, end)
    if titled is None or any(w in STOPWORDS for w in titled.group(1).split()):
        return False  # "World Wildlife Fund and A-Z Animals": a list, not a title
    title = titled.group(1).split()
    if ("organization" not in span.kinds or title[0].isupper()) and not any(is_role(w) for w in title):
        return False  # "the FBI ...", "Sam Altman told reporters": no role
    return not any(stem(w) in focus.question_stems for w in words(titled.group(2)))


_BY_AMOUNT = re.compile(r"\bby\s+(?:about\s+|around\s+|nearly\s+|almost\s+|some\s+|roughly\s+)?$", re.IGNORECASE)
# A condition: what follows it in its clause may happen, it is not said to have ("even if" and
# "as if" concede or compare, they set no condition).
_CONDITION = re.compile(r"(?<!\beven\s)(?<!\bas\s)\b(?:if|unless|whether)\b", re.IGNORECASE)
_COULD = re.compile(r"\b(?:could|might|would|(?:expected|projected|forecast|set|on\s+track)\s+to)\s+(?:\w+\s+){0,2}$")
# "Bluesky hit 1 million users": a count another name has or reached.
# A year's or a month's rate stays an amount ("$90,000 a year" is a salary, "$9.99 a month" a
# plan's price); a day's or an hour's is a rate.
_PER_TIME = re.compile(r"\)?\s*(?:per|a|an|each|every)\s+(?:day|week|hour|minute|night)\b", re.IGNORECASE)
_ASKS_A_RATE = re.compile(r"\b(?:per|an?\s+(?:day|week|month|hour|night)|hourly|daily|weekly|monthly|nightly)\b",
                          re.IGNORECASE)
_HOLDS = (r"(?:had|has|have|now\s+has|boasts|hit|reached|crossed|passed|surpassed|topped|got|gained|attracted|"
          r"drew|broke|broken)\s+(?:(?:about|around|nearly|almost|over|more\s+than|roughly|some)\s+)?")
_HOLDER = r"\b([A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*)*)\s+"
_HELD_BY = re.compile(_HOLDER + _HOLDS + "$")
_HELD_EARLIER = re.compile(_HOLDER + _HOLDS)
# "... and by Friday she's broken 100,000": a pronoun's count is held by the name that held one before it.
_HELD_BY_PRONOUN = re.compile(r"\b(?:she|he|they)(?:['’]s|['’]d|\s+has|\s+had|\s+have)?\s+" + _HOLDS + "$",
                              re.IGNORECASE)
_UNIT_WORDS = re.compile(r"(?:\s+[a-z][\w'’-]*){1,3}")


def _count_holder(before: str) -> str | None:
    """The name that has or reached the count that follows ``before`` ("Vela had 3,000
    followers"), or, after a pronoun ("and she's passed 9,000"), the name that held a count
    earlier in the sentence."""
    if held := _HELD_BY.search(before):
        return held.group(1)
    if _HELD_BY_PRONOUN.search(before) and (earlier := list(_HELD_EARLIER.finditer(before))):
        return earlier[-1].group(1)
    return None


def _counts_another(body: str, end: int, span: TypedSpan, asked: _Asked) -> bool:
    """A count followed by the thing it counts ("24 billion times", "the number one search
    query") counts something else when none of its next words is the thing asked for
    ("how many people", "how many journalits": a typo still names it)."""
    counted = asked.predicate
    numbers = list(SAYS_A_NUMBER.finditer(body, span.start, span.end))
    if not counted or counted == "sentence" or not numbers:
        return False
    unit = _UNIT_WORDS.match(body, numbers[-1].end(), end)
    if unit is None or unit.group(0).split()[0] in STOPWORDS:
        return False  # "rose to 5,000.", "10,000 of its workers": the count names nothing else
    same = related_stems(stem(counted))[0] | {stem(counted), stem("units")}  # "units" counts anything made
    return not any(stem(w) in same or DamerauLevenshtein.distance(w, counted) <= 2 for w in unit.group(0).split())


def _counts_a_change(body: str, sentence: RankedSentence, span: TypedSpan, focus: Focus) -> bool:
    """A count of those who joined or left ("1,200 people have lost their jobs", "laid off
    300 employees") is no total, unless the question asks about the change."""
    if _CHANGE_OF_STAFF.search(focus.text):
        return False
    before = body[max(sentence.start, span.start - 30):span.start]
    after = re.split(r"[,;:]|\s(?:and|but|while)\s", body[span.end:min(sentence.end, span.end + 60)])[0]
    return bool(_CHANGED_BEFORE.search(before) or _CHANGE_OF_STAFF.search(after))


_CHANGE_OF_STAFF = re.compile(r"\b(?:lost|lose|loses|losing|laid\s+off|lay\s*offs?|layoffs?|cut|cuts|cutting|shed|"
                              r"fired|let\s+go|eliminat\w+|hired|hiring|hire|added|adding|quit|resigned|left|leave|"
                              r"leaving|dismissed|furlough\w*|redundan\w+)\b", re.IGNORECASE)
_CHANGED_BEFORE = re.compile(r"\b(?:laid\s+off|lay(?:s|ing)?\s+off|cut|cuts|cutting|shed|sheds|shedding|fired|firing|"
                             r"hired|hires|hiring|added|adds|adding|eliminat\w+|slash\w*|ax(?:e|es|ed|ing)|lost|loses|"
                             r"losing)\s+(?:about\s+|around\s+|nearly\s+|almost\s+|"
                             r"over\s+|some\s+|more\s+than\s+|another\s+|an\s+additional\s+)?$", re.IGNORECASE)


_OF_NAME_THEN = re.compile(r"\b(?:of|for)\s+(?:the\s+)?([A-Z][\w'’&.-]*(?:\s+[A-Z][\w'’&.-]*)*)\s+(?:in|on|at)\s+$")


# Words that make a role another one: a general or assistant manager is not the manager.
_RANK_WORDS = frozenset("general assistant associate deputy vice regional branch".split())


def _a_lesser_role(body: str, start: int, span: TypedSpan, asked: _Asked) -> bool:
    """The role asked about stands right before the span with a word that makes it another
    role, which the question does not give."""
    _, words, at = role_word_before(body, start, span, asked.predicate or "")
    if at is None or at == 0:
        return False
    rank = words[at - 1].group(0).lower()
    return rank in _RANK_WORDS and not re.search(rf"\b{rank}\b", asked.focus.text, re.IGNORECASE)


# "not headed to Toronto", "never joined Lyon": the span is what the sentence says is not so.
_NEGATED_BEFORE = re.compile(r"(?:\b(?:not|never|no\s+longer|nor)\b|n['’]t)(?:\s+[\w'’-]+){0,4}\s+$", re.IGNORECASE)
_REPLACING = re.compile(r"\breplac(?:e|es|ed|ing)\s+(?:[\w'’.-]+\s+){0,4}$", re.IGNORECASE)
_REPLACE_WORDS = frozenset("replace replaces replaced replacing".split())
_LAST_TIME = re.compile(r"\bthe\s+last\s+time\b|\b(?:previous|prior|earlier|last)\s+(?:round|raise|deal|funding)\b",
                        re.IGNORECASE)


def _an_earlier_one(body: str, sentence: RankedSentence, span: TypedSpan, asked: _Asked) -> bool:
    """An amount dated to a year before its article's ("$180 million in 2021"), or said of
    "the last time": an earlier round or deal, when the question names no year."""
    if _YEAR_IN.search(asked.focus.text) or _ASKS_FORMER.search(asked.focus.text):
        return False
    dated = re.match(r"[^.;,]{0,12}?\bin\s+((?:19|20)\d\d)\b", body[span.end:sentence.end])
    published = asked.years.get(sentence.article_id)
    if dated and published and int(dated.group(1)) < published:
        return True
    return _LAST_TIME.search(re.split(r"[;:]", body[sentence.start:span.start])[-1]) is not None


def _dated_for_another(body: str, start: int, span: TypedSpan, focus: Focus) -> bool:
    """The date is of a named thing the question does not ask about: "its purchase of
    LinkedIn in 2016", asked about another deal."""
    dated = _OF_NAME_THEN.search(body[max(start, span.start - 60):span.start])
    return dated is not None and _names_another(dated.group(1), focus)


def _labels_the_thing_asked(body: str, span: TypedSpan, focus: Focus) -> bool:
    """A year between an article and a noun the question asks about ("the 2014 strike") says
    which one is meant, an edition of its own, not when the one asked about happened."""
    noun = re.match(r"\s+([a-z][\w-]*)", body[span.end:span.end + 30])
    return bool(_YEAR.fullmatch(body[span.start:span.end].strip()) and noun and focus.is_term(noun.group(1)) and
                re.search(r"\b(?:the|a|an|its|their|his|her)\s+$", body[max(0, span.start - 8):span.start],
                          re.IGNORECASE))


def _weekday_describing(body: str, sentence: RankedSentence, span: TypedSpan) -> bool:
    """A bare weekday inside its sentence that no preposition or time word leads and a word
    follows ("the most-watched Sunday TV show") describes that word; it dates nothing."""
    if not _WEEKDAY.fullmatch(body[span.start:span.end].strip()) or not body[sentence.start:span.start].strip():
        return False
    # _PREPOSITION_BEFORE has "until", "till" and "by"; these lead a day too ("last Sunday").
    led = _PREPOSITION_BEFORE.search(body[max(0, span.start - 12):span.start]) or \
        re.search(r"\b(?:last|next|this|that|each|every)\s+$", body[max(0, span.start - 8):span.start], re.IGNORECASE)
    # "beat the Jets Sunday in Leeds" still dates the win: the word after is a small word, not a noun
    follows = re.match(r"\s+([A-Za-z][\w-]*)", body[span.end:])
    return not led and follows is not None and follows.group(1).lower() not in _NOT_DESCRIBED


_WEEKDAY = re.compile(r"(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day", re.IGNORECASE)
# After a weekday, words that leave it a day: small words, and times of that day ("Sunday night").
_NOT_DESCRIBED = STOPWORDS | frozenset("night morning afternoon evening nights mornings".split())


def _stamps_an_entry(body: str, sentence: RankedSentence, span: TypedSpan) -> bool:
    """A time or date that opens its sentence and a dash follows: a live blog's stamp on
    an entry, when it was written, not when what it tells of began or ended."""
    return not body[sentence.start:span.start].strip() and re.match(r"\.?\s*[—–-]\s", body[span.end:]) is not None


def _act_only_in_a_participle_after(sentence: RankedSentence, span: TypedSpan, predicate: str) -> bool:
    """The act asked about is said only after the date, in a participle's clause (", citing
    the cost of the strikes"): a reason given for what the date is of, not the act's date."""
    acts = _act_stems(predicate)
    end = span.end - sentence.start
    # Tokens that start with a letter or digit: words() of a bare "--" or "'" is empty.
    said = [m.start() for m in re.finditer(r"[A-Za-z0-9][\w'’-]*", sentence.text) if stem(words(m.group(0))[0]) in acts]
    participle = _PARTICIPLE_CLAUSE.search(sentence.text, end)
    return bool(said) and participle is not None and all(at > participle.start() for at in said)


_PARTICIPLE_CLAUSE = re.compile(r",\s+(?:[a-z]+ly\s+)?[a-z]{3,}ing\b")


def _dates_the_subject_after(body: str, sentence: RankedSentence, span: TypedSpan, focus: Focus) -> bool:
    """A sentence that opens with a participle and the date ("Released May 2, the Orbel X2
    is ...") dates the subject named after the comma; another name's date is not asked."""
    if not _OPENING_PARTICIPLE.fullmatch(body[sentence.start:span.start]):
        return False
    subject = _SUBJECT_AFTER.match(body, span.end, sentence.end)
    return subject is not None and not focus.asks_about(subject.group(1))


_OPENING_PARTICIPLE = re.compile(r"\s*[A-Z][a-z]+ed\s+(?:(?:on|in|back\s+in)\s+)?")
_SUBJECT_AFTER = re.compile(r",\s+(?:the\s+)?([A-Z][\w.’'-]*(?:\s+[A-Z0-9][\w.’'-]*){0,3})")


def in_a_since_clause(before: str) -> bool:
    """The words before a date, in its clause, open with "since" and a clause of their own
    ("since the US took Harrow to court in", not "since"): the date is the earlier event's."""
    return _SINCE_CLAUSE.search(re.split(r"[,;:—–(]", before)[-1]) is not None


_SINCE_CLAUSE = re.compile(r"\bsince\s+(?!(?:19|20)\d\d\b|the\s+(?:start|end|beginning)\b)(?:the\s+)?"
                           r"[A-Za-z]+\s+\w+.*\s$", re.IGNORECASE)


def _date_as_subject(body: str, span: TypedSpan) -> bool:
    """The date is the subject of its clause ("as 2024 has worn on", "2025 will see"):
    no preposition dates an act by it, and a verb follows it straight away. A regex, not the
    parse, so that a one-off CLI question loads no parser."""
    return _PREPOSITION_BEFORE.search(body[max(0, span.start - 12):span.start]) is None and \
        _VERB_AFTER.match(body, span.end) is not None and _WHEN_CLEFT.match(body, span.end) is None


# "November 30, 2022 is when ChatGPT was released": the date is what the clause after dates.
_WHEN_CLEFT = re.compile(r"\s+(?:is|was)\s+(?:(?:the|a)\s+(?:day|date|week|month|year)\s+)?(?:when|that)\b",
                         re.IGNORECASE)


_PREPOSITION_BEFORE = re.compile(r"\b(?:in|on|at|by|since|from|until|till|to|of|for|during|before|after|through|"
                                 r"early|late|mid|around|between|and|or|than)[\s-]+$", re.IGNORECASE)
_VERB_AFTER = re.compile(r"\s+(?:has|have|had|is|was|will|would|could|may|might|can|should|saw|sees|brought|brings|"
                         r"marks|marked|promises|promised|looks|looked|proved|proves|became|becomes)\b")


def _stands_in_act(sentence: RankedSentence, span: TypedSpan, body: str, asked: _Asked) -> bool:
    """Whether a span of the right type plays the part the question asks about, as the
    sentence and its parse tell."""
    if asks_casting(asked.predicate) and (part := cast_part(body, span)) and \
            not plays_asked_part(part, asked.focus.names):
        return False  # "Diana (played by Elizabeth Debicki)", asked who plays Charles
    if span.kinds == ("date",) and _DEICTIC_DATE.fullmatch(body[span.start:span.end].strip()):
        return False  # "today": when the article was written, which its citation says; no answer in bold
    start, end = span.start - sentence.start, span.end - sentence.start
    if span.untagged and not (asked.predicate and takes_part(sentence.text, start, end, asked.predicate,
                                                             unsure=False)):
        return False  # words the tagger passed over are a name only when the parse links them to the act
    if _said_of_another(sentence, span, body, asked) or _on_the_other_side(sentence, span, asked):
        return False  # "defeating the West Indies in the final", asked who won it
    role = _role_asked(asked.predicate)
    if role and "person" in span.kinds:
        if not _ASKS_FORMER.search(asked.focus.text) and formerly_titled(body, sentence.start, span, role):
            return False  # "former CEO Joe Natale", asked who is the CEO
        # "OpenAI's chief scientist Ilya Sutskever; Quora CEO Adam D'Angelo": a person in a
        # sentence that says the role holds it only by title, apposition or the parse.
        if _bare_title_of_another(sentence, span, body, role, asked.focus):
            return False  # "A Coinbase spokesperson declined, but CEO Brian Armstrong said", asked Binance's
        return beside_act(body, sentence.start, sentence.end, span, role, window=40) or \
            takes_part(sentence.text, start, end, role, unsure=False)
    if asked.maker and not _tied_as_maker(sentence, span, body, asked.focus):
        return False  # "resellers on Fleetbay", in a sentence on the Skylark app: no maker of it
    if asked.asks_object and not asked.contest and set(span.kinds) & PARSED_KINDS:
        if _done_by_another_doer(sentence.text, start, end, asked):
            return False  # "people can choose to buy an iPhone", asked who Google bought
        return is_acted_on(sentence.text, start, end, asked.predicate)  # "who did the chiefs play": their rival
    if asked.predicate and not asked.contest and not is_role(asked.predicate) and set(span.kinds) & PARSED_KINDS:
        if is_acted_on(sentence.text, start, end, asked.predicate, directly=True):
            return False  # "the defense cross-examined Gary Wang", asked who cross-examined Bankman-Fried
        if asked.focus.names and within_object_of_act(sentence.text, start, end, asked.predicate):
            return False  # "appointed Emmett Shear, the co-founder of Twitch", asked who hired Shear
        if _done_to_another(sentence.text, asked):
            return False  # "Getty Images sued Stability AI", asked who sued OpenAI
    # "Carragher described the winner's switch": a name beside the act, not its doer.
    return not (asked.predicate and set(span.kinds) & PARSED_KINDS and
                not takes_part(sentence.text, start, end, asked.predicate))


# Subjects that may stand for the one asked about: "the company bought Harrow".
_STAND_IN_SUBJECTS = frozenset("it they he she we the company firm group team club its".split())


def _done_by_another_doer(text: str, start: int, end: int, asked: _Asked) -> bool:
    """The act is done to the span by a named subject the question does not ask about."""
    doer = doer_of_act_on(text, start, end, asked.predicate or "")
    if not doer or doer.split()[0].lower() in _STAND_IN_SUBJECTS:
        return False
    return not asked.focus.asks_about(doer) and not any(asked.focus.is_term(w) for w in words(doer))


def _tied_as_maker(sentence: RankedSentence, span: TypedSpan, body: str, focus: Focus) -> bool:
    """Whether the words between the span and a name the question asks about (either way
    round, a few words apart) say that the span makes it: "OpenAI's ChatGPT", "OpenAI,
    the startup behind ChatGPT", "ChatGPT maker OpenAI", "Pixel 8, made by Google"."""
    text = sentence.text
    lo, hi = span.start - sentence.start, span.end - sentence.start
    for name in focus.names:
        for found in re.finditer(re.escape(name), text, re.IGNORECASE):
            between = text[hi:found.start()] if found.start() >= hi else text[found.end():lo] if found.end() <= lo \
                else None
            if between is None or len(between) > 50:
                continue
            if (found.start() >= hi and re.fullmatch(r"[’']s?\s+(?:new\s+|own\s+|popular\s+)?", between)) or \
                    _MAKER_CUE.search(between):
                return True
    return False


_MAKER_CUE = re.compile(r"\b(?:behind|maker|makers|creator|creators|developer|developers|owner|parent|makes|made|"
                        r"develops|developed|created|creates|built|builds|launched|launches|released|releases|"
                        r"unveiled|unveils|introduced|introduces|from)\b", re.IGNORECASE)


def _bare_title_of_another(sentence: RankedSentence, span: TypedSpan, body: str, role: str, focus: Focus) -> bool:
    """A person titled with the role and no owner ("CEO Brian Armstrong", "its CEO") holds it
    at the organisation the sentence last names before the title; when that is one the
    question does not ask about, not at the one asked."""
    segment, before, at = role_word_before(body, sentence.start, span, role)
    if at is None or (at > 0 and before[at - 1].group(0)[:1].isupper()):
        return False  # no title right before, or an owner written with it ("Quora CEO")
    title_start = span.start - len(segment) + before[at].start()
    earlier = [t for t in sentence.spans if "organization" in t.kinds and t.end <= title_start]
    if not earlier:
        return False
    owner = body[earlier[-1].start:earlier[-1].end]
    return not focus.asks_about(owner) and not focus.names_any(held_stems(owner))


def _role_asked(predicate: str | None) -> str | None:
    """The role a person must hold by title: the one asked ("ceo"), or the head's, asked who
    leads ("who runs openai": its board members are named beside "chief scientist" and
    "CEO" of other firms, and lead nothing there)."""
    if predicate and is_role(predicate):
        return predicate
    return "head" if predicate and stem(predicate) in _LEADING_ACTS else None


_LEADING_ACTS = frozenset(stem(w) for w in "run runs running ran lead leads leading led head heads heading".split())


def _done_to_another(text: str, asked: _Asked) -> bool:
    """The act asked about is done, in the sentence, only to names the question does not ask
    about, when the question names the one it was done to ("who sued openai")."""
    if not asked.focus.names:
        return False
    objects = objects_of_act(text, asked.predicate)
    return bool(objects) and not any(asked.focus.asks_about(o) or asked.focus.says_every_name(o) for o in objects)


# "Tomas Varga, also known as “TV,”" or "Tomas Varga (TV)": the name the span also goes by.
_ALIAS = re.compile(r"\s*(?:,\s*(?:(?:also|better|widely)\s+)?(?:known\s+as|nicknamed|dubbed|a\.?k\.?a\.?)|\()\s*"
                    r"[\"“‘']?([\w.'’ -]{1,40}?)[\"”’',.]*(?:[,)]|\s|$)", re.IGNORECASE)


def _is_the_asked_by_alias(body: str, end: int, span: TypedSpan, focus: Focus) -> bool:
    """The span is the one the question names, by a nickname the sentence gives: "who will
    replace TV" is not answered by Tomas Varga, "also known as TV"."""
    alias = _ALIAS.match(body, span.end, end)
    return bool(alias) and focus.asks_about(alias.group(1))


def _capitalised_run(body: str, sentence: RankedSentence, span: TypedSpan) -> str:
    """The span with the capitalised words right beside it, up to a title or the sentence's
    first word (capitalised wherever it is): the tagger may keep only "Trophy" of "Heisman
    Trophy", while "Orbel CEO Kwame Lund" is a person titled and "Released May 2" a date."""
    before = re.search(r"(?:(?<=\s)[A-Z][\w'’.&-]*\s+)+$", body[max(sentence.start, span.start - 60):span.start])
    kept: list[str] = []
    for word in reversed(before.group(0).split() if before else []):
        if is_role(word.lower()):
            break
        kept.insert(0, word)
    after = re.match(r"(?:\s+[A-Z][\w'’.&-]*)+", body[span.end:span.end + 60])
    return " ".join([*kept, body[span.start:span.end]]) + (after.group(0) if after else "")


def _holds_a_word_asked(text: str, asked: _Asked) -> bool:
    """A name that holds a word of the question which is not one of the names it gives
    ("Heisman Trophy", asked who won the heisman), or two words of one it gives ("ODI World
    Cup 2023", asked who won the cricket world cup): the thing asked about, not who is asked
    for. One word of a name given may be shared ("Andrea Swift", asked about Taylor Swift's family)."""
    held = {stem(w) for w in words(text)}
    given = [{stem(w) for w in words(name)} for name in asked.focus.names]
    asked_words = set(asked.focus.weights) - set().union(*given) - {stem(asked.predicate or "")}
    return bool(asked_words & held) or any(len(name & held) >= 2 for name in given)


def _said_of_another(sentence: RankedSentence, span: TypedSpan, body: str, asked: _Asked) -> bool:
    """The span belongs to a named thing or company the question does not ask about, or
    to what could happen rather than what did."""
    before = body[sentence.start:span.start]
    clause = re.split(r"[,;:—–]", before)[-1]
    if _CONDITION.search(clause):
        return True  # "the bet wins if she wins outright or Williams wins by fewer than 5 games"
    if _NEGATED_BEFORE.search(clause):
        return True  # "Ohtani not headed to Toronto", asked where he is going
    if "person" in span.kinds and _is_the_asked_by_alias(body, sentence.end, span, asked.focus):
        return True
    if ((asked.kind in ("person", "organization") and {"person", "organization"} & set(span.kinds)) or
            "date" in span.kinds) and _holds_a_word_asked(_capitalised_run(body, sentence, span), asked):
        return True  # "the reigning Heisman Trophy winner", "on Super Bowl Sunday": the thing asked, named
    if asked.kind == "product" and asked.named_class and (kind := product_class_before(before)) and \
            kind not in asked.named_class and asked.named_class not in kind:
        return True  # "the iPhone customization app Brass", asked what the new iPhone is called
    if set(span.kinds) & {"number", "money", "percent"}:
        if _in_quoted_title(sentence, span):
            return True  # a video called “Last To Leave Circle Wins $500,000”: a title's words
        if _COULD.search(before[-40:]):
            return True  # "he could score six goals", "is expected to gross $1.4bn": not what was done
        if (holder := _count_holder(before)) and _names_another(holder, asked.focus):
            return True  # "Taylor had around 12,000 subscribers", asked how many MrBeast has
        if _PER_TIME.match(body, span.end) and not _ASKS_A_RATE.search(asked.focus.text):
            return True  # "a fine of up to $10,000 per day": a rate, asked how much the fine was
        if _BY_AMOUNT.search(before[-30:]) and not re.search(rf"\bby\b|\b(?:{CHANGE_WORDS})\b", asked.focus.text,
                                                              re.IGNORECASE):
            return True  # "revenue was impacted ... by $161 million": a change, asked for the revenue
    if set(span.kinds) & {"number", "money", "percent"} and len(asked.focus.names) == 1 and \
            _one_of_a_list(sentence.text, asked.focus.names[0]):
        return True  # "Harrow, Orbel, Pellmore and many others exported $7 billion", asked Orbel's
    if set(span.kinds) & {"number", "money", "percent", "person"} and _named_only_another(sentence, span, body, asked):
        return True  # "Under Laura Bennett's plea deal, a $2 million fine", asked the airline's fine
    if asked.kind == "number" and "number" in span.kinds and _counts_a_change(body, sentence, span, asked.focus):
        return True  # "about 1,200 people have lost their jobs at X", asked how many work there
    if asked.kind == "number" and "number" in span.kinds and _counts_another(body, sentence.end, span, asked):
        return True  # "more than 24 billion times each month", asked how many people work there
    if "person" in span.kinds and _REPLACING.search(before) and re.match(r"\s+with\b", body[span.end:sentence.end]) \
            and not _ASKS_FORMER.search(asked.focus.text) and asked.predicate not in _REPLACE_WORDS:
        return True  # "replacing founder CEO Whitney Wolfe Herd with Lidiane Jones", asked who the new CEO is
    if asked.kind == "person" and asked.predicate and is_role(asked.predicate) and \
            _a_lesser_role(body, sentence.start, span, asked):
        return True  # "Chelsea's general manager Paul Green", asked who the Chelsea manager is
    if asked.kind == "person" and _employer_of_a_role(before):
        return True  # "Omar Pike, managing director of the hedge fund Harrow Capital, testified"
    if {"organization", "person"} & set(span.kinds) and _someone_elses(body, sentence.end, span, asked.focus):
        return True  # "Chicago Fire midfielder Xherdan Shaqiri", asked what team Messi plays for
    if set(span.kinds) & {"money", "number"} and _an_earlier_one(body, sentence, span, asked):
        return True  # "the last time it raised money — $180 million in 2021", asked how much it raised
    if "money" in span.kinds and _a_lot_of_it(before, asked.focus):
        return True  # "about 4 Skylark tokens, worth about $2,000": the lot's worth, not one's
    if "money" in span.kinds and _paid_for_another(body, sentence.end, span, asked.focus):
        return True  # "offered £4bn to buy Chelsea", asked what he pays for United
    if "money" in span.kinds and _earned_from_another(body, sentence.end, span, asked.focus):
        return True  # "$8.4 million in revenue from contributions", asked for the revenue
    if "date" in span.kinds and _dated_for_another(body, sentence.start, span, asked.focus):
        return True  # "its purchase of LinkedIn in 2016", asked when Microsoft bought Activision
    if "date" in span.kinds and _labels_the_thing_asked(body, span, asked.focus):
        return True  # "during the 2014 strike at Harrow Foods", asked when the (new) strike started
    if "date" in span.kinds and _dates_the_subject_after(body, sentence, span, asked.focus):
        return True  # "Released May 2, the Orbel X2 ...", asked when the Orbel X1 came out
    if "date" in span.kinds and in_a_since_clause(before):
        return True  # "the biggest fight since the US took Harrow to court in the 1990s": the earlier one
    if "date" in span.kinds and _SINCE_BEFORE.search(before[-12:]) and not _ASKS_SINCE.search(asked.focus.text):
        return True  # "Tesla's first new model since 2020", asked when the Cybertruck came: a time measured from
    if "date" in span.kinds and _date_as_subject(body, span):
        return True  # "as 2024 has worn on": the time talked about, not when anything was done
    if "duration" in span.kinds and _LEADING_UP.match(body, span.end) and not _LEADING_UP.search(asked.focus.text):
        return True  # "over the 13 days leading up to the ceasefire", asked how long the ceasefire is
    if "date" in span.kinds and _weekday_describing(body, sentence, span):
        return True  # "the most-watched Sunday TV show": a kind of show, not a day anything happens
    if "date" in span.kinds and _stamps_an_entry(body, sentence, span):
        return True  # "8:29 p.m. — Mantiply strikes out Lowe": when a live blog's entry was posted
    if "date" in span.kinds and asked.predicate and _act_only_in_a_participle_after(sentence, span, asked.predicate):
        return True  # "cancelled its talks at the show in January, citing the strikes", asked when they began
    if "date" in span.kinds and asked.predicate and dates_an_act_to_come(
            sentence.text, span.start - sentence.start, span.end - sentence.start, asked.predicate,
            asked_done=_ASKS_DONE.search(asked.focus.text) is not None):
        return True  # "informed on Thursday that Altman would be fired", asked when he was fired
    if "date" in span.kinds and _ASKS_NEXT.search(asked.focus.text) and \
            _before_its_article(body[span.start:span.end], asked.years.get(sentence.article_id)):
        return True  # "the 2021 iPhone 13", asked when the next iPhone comes
    # "Quora CEO Adam D'Angelo", asked who is OpenAI's CEO
    return bool(asked.predicate) and titled_elsewhere(body, sentence.start, span, asked.predicate, asked.focus.names)


_QUOTED = re.compile(r"[“\"]([^”\"]{3,120})[”\"]")


def _named_only_another(sentence: RankedSentence, span: TypedSpan, body: str, asked: _Asked) -> bool:
    """The sentence names none of the question's names (its article's title may), but names
    another person or company before the amount: the amount is that one's. A person in it
    given a role of another company holds that one's ("Laura Bennett, founder of Skyline
    Jets", asked who founded Northwind Airlines)."""
    # A last word stands for its name only when written as one: "a premium streaming box"
    # does not name Northwind Premium.
    capitalised = held_stems(" ".join(re.findall(r"\S*[A-Z]\S*", sentence.text)))
    longer = bool(asked.focus.names) and _only_in_longer_names(sentence.text, asked.focus)
    if not asked.focus.names or (asked.focus.names_any(held_stems(sentence.text), body.lower(), capitalised) and
                                 not longer):
        return False
    person = "person" in span.kinds
    others = [t for t in sentence.spans if not _overlap(t, span) and body[t.start:t.end].lower() not in asked.outlets
              and (longer or not asked.focus.asks_about(body[t.start:t.end]))]
    if person:  # "Laura Bennett (R), founder and chief executive officer of Skyline Jets"
        acts = _act_stems(asked.predicate) if asked.predicate else set()
        starts = {t.start for t in others if "organization" in t.kinds}
        return any(sentence.start + role.end() in starts and
                   any(is_role(w) or stem(w) in acts for w in words(role.group(0)))
                   for role in _ROLE_OF_ORG.finditer(sentence.text))
    return any(t.end <= span.start and {"person", "organization"} & set(t.kinds) for t in others)


def _only_in_longer_names(text: str, focus: Focus) -> bool:
    """Each name asked is written only as the start of a longer name the question does not
    give ("Orbel Freight lost $13 million", asked about Orbel): a unit or product of its own."""
    for name in focus.names:
        found = list(re.finditer(rf"(?<![\w]){re.escape(name)}(?![\w])", text, re.IGNORECASE))
        if not found or any(not re.match(r"\s+[A-Z][a-z]", text[m.end():]) for m in found):
            return False
    return True


def _one_of_a_list(text: str, name: str) -> bool:
    """Every time the sentence writes the name, it is one of a list of names ("Harrow,
    Orbel, Pellmore and others"): an amount in it is the group's, or any one's."""
    found = list(re.finditer(rf"(?<![\w]){re.escape(name)}(?![\w])", text, re.IGNORECASE))
    return bool(found) and all(_LISTED_LEFT.search(text[:m.start()]) or _LISTED_RIGHT.match(text[m.end():])
                               for m in found)


_LISTED_LEFT = re.compile(r"[A-Z][\w&.’'-]*,\s+(?:and\s+)?$")
_LISTED_RIGHT = re.compile(r",\s+[A-Z]|,?\s+and\s+(?:many\s+)?(?:others|[A-Z])|,?\s+or\s+[A-Z]")


def _a_lot_of_it(before: str, focus: Focus) -> bool:
    """The words before an amount count the thing asked about ("4 Skylark tokens", "two
    Orbel phones"; a year is no count: "in 2021 Orbel bought"): the amount is what that many cost
    or are worth."""
    return any(re.search(rf"\b{_COUNT_OF}\s+{re.escape(name)}", before, re.IGNORECASE) for name in focus.names)


_COUNT_OF = (r"(?:(?!(?:19|20)\d\d\b)\d[\d,.]*|two|three|four|five|six|seven|eight|nine|ten|"
             r"(?:dozens|hundreds|thousands)\s+of)")


def _employer_of_a_role(before: str) -> bool:
    """The words before a span make it the firm a role is held at ("managing director of the
    hedge fund", "founder and CEO of"): whoever holds the role is the person, not it."""
    held = _ROLE_OF.search(before)
    return held is not None and is_role(held.group(1).lower())


_ROLE_OF_ORG = re.compile(r"\b[a-z]+(?:\s+(?:and\s+)?[a-z]+){0,4}?\s+(?:of|at)\s+(?:the\s+)?")
# "director of the hedge fund ", "CEO of ": not "director of high-performance " (a field).
_ROLE_OF = re.compile(r"\b([A-Za-z]+)\s+(?:of|at)\s+(?:the\s+(?:[a-z-]+\s+){0,3})?$")


def _in_quoted_title(sentence: RankedSentence, span: TypedSpan) -> bool:
    """The span is inside quotation marks around a title: words mostly capitalised, as
    titles are written and quoted speech is not ("“Last To Leave Circle Wins $500,000”")."""
    start, end = span.start - sentence.start, span.end - sentence.start
    for quoted in _QUOTED.finditer(sentence.text):
        if quoted.start(1) <= start and end <= quoted.end(1):
            lettered = [w for w in quoted.group(1).split() if w[:1].isalpha()]
            return len(lettered) >= 3 and sum(w[:1].isupper() for w in lettered) >= 0.75 * len(lettered)
    return False


_ASKS_DONE = re.compile(r"\b(?:did|was|were|had)\b", re.IGNORECASE)
_ASKS_NEXT = re.compile(r"\b(?:next|upcoming|coming|forthcoming|future)\b", re.IGNORECASE)
_SINCE_BEFORE = re.compile(r"\bsince\s+(?:the\s+)?$", re.IGNORECASE)
_ASKS_SINCE = re.compile(r"\bsince\b|\bhow\s+long\b", re.IGNORECASE)


def _before_its_article(text: str, published: int | None) -> bool:
    """The text writes years, and only years before its article's: an earlier contest's,
    or not what is next."""
    years = [int(y) for y in _YEAR_IN.findall(text)]
    return bool(published and years) and max(years) < published


_ASKS_FORMER = re.compile(r"\b(?:was|were|former|ex|previous|before|used to|old|first|original)\b", re.IGNORECASE)


Candidates = tuple[dict[str, float], dict[str, set[str]], dict[str, tuple[float, RankedSentence, str]]]


def _act_words(text: str, predicate: str | None) -> list[re.Match[str]]:
    """The words of a sentence that say the act, by stem or a synonym's (none when none is asked)."""
    if not predicate:
        return []
    acts = _act_stems(predicate)
    return [m for m in re.finditer(r"[\w'’-]+", text) if stem(m.group(0).lower()) in acts]


def _act_only_a_modifier(text: str, said: Sequence[re.Match[str]]) -> bool:
    """Every word saying the act (``said``, of :func:`_act_words`) qualifies a noun ("a win
    streak"): no one is said to win."""
    return bool(said) and all(modifies_a_noun(text, m.start(), m.end()) for m in said)


def _act_undone(text: str, said: Sequence[re.Match[str]]) -> bool:
    """The sentence says the act asked about, and then that it was undone."""
    return bool(said) and undone_after(text, said[0].end())


_MODAL_BEFORE = re.compile(r"\b(?:can|could|might|may|would|should|must)\s+(?:not\s+)?(?:\w+ly\s+)?$", re.IGNORECASE)
_ASKS_POSSIBLE = re.compile(r"\b(?:can|could|might|may|would|should|must|will)\b", re.IGNORECASE)


def _act_only_possible(text: str, said: Sequence[re.Match[str]], question: str) -> bool:
    """Every word saying the act follows a modal ("nobody can beat", "could win"): what may be,
    not what was done, unless the question asks what may be."""
    return bool(said) and not _ASKS_POSSIBLE.search(question) and \
        all(_MODAL_BEFORE.search(text, max(0, m.start() - 25), m.start()) for m in said)


def _act_only_failed(text: str, said: Sequence[re.Match[str]]) -> bool:
    """Every word of the sentence that says the act asked about follows words of failing at it."""
    return bool(said) and all(failed_before(text, 0, m.start()) for m in said)


NAME_KINDS = ("person", "organization")
# The object of "who made the mistake for chelsea": the words after the act, before a preposition.
_OBJECT_ASKED = re.compile(r"\s+((?:[\w'’-]+\s*){1,3}?)(?:\s+(?:for|in|at|on|of|to|with|from|by|during|after|"
                           r"before|against|over)\b|\s*\??$)")


def _acts_on_another_thing(text: str, said: Sequence[re.Match[str]], asked: _Asked) -> bool:
    """Each time the sentence says the act, it takes an object of its own that holds none of
    the question's object words, and says none of them after it: "Pochettino made James his
    captain" makes no mistake. A sentence is parsed only when no object word follows the act."""
    if not said:
        return False
    lowered = asked.focus.text.lower()
    at = re.search(rf"\b{re.escape(asked.predicate or '')}\b", lowered)
    found = _OBJECT_ASKED.match(lowered, at.end()) if at else None
    wanted = {stem(w) for w in words(found.group(1)) if w not in STOPWORDS} if found else set()
    if not wanted:
        return False
    return all(not wanted & held_stems(text[m.end():]) and
               takes_another_object(text, m.start(), m.end(), lambda o: bool(wanted & held_stems(o)), _OBJECT_ARCS)
               for m in said)


_OBJECT_ARCS = frozenset({"dobj", "ccomp", "oprd"})  # "made James his captain" parses as a clause


# "had broken up after six years of dating", "retired after 20 years of coaching": an act over.
_OVER_AFTER = re.compile(r"\bafter\s+(?:[\w-]+\s+){1,3}(?:years?|months?|weeks?|decades?|seasons?)\s+of\s+"
                         r"([a-z]+ing)\b", re.IGNORECASE)
_ASKS_NOW = re.compile(r"^(?:who|which|what)(?:'s|\s+is|\s+are)\b|\b(?:now|currently|these\s+days|today)\b",
                       re.IGNORECASE)


def _ended_after(text: str, focus: Focus) -> bool:
    """Asked who or what is so now, the sentence says the question's act ended after a time."""
    return bool(_ASKS_NOW.search(focus.text)) and not _ASKS_FORMER.search(focus.text) and any(
        focus.is_term(m.group(1)) for m in _OVER_AFTER.finditer(text))


# A figure of the question, as it counts something: "50 goals", "1,500 jobs", "the 5-1 win"
# ("10 minute school", "season 6" and "dec 3" name things; a score counts as said).
_COUNT = re.compile(r"(?<![\w.,])(?!(?:19|20)\d\d\b)(\d[\d,.]*)(?:\s+(?:[\w-]+\s+)?[a-z]+s\b|(?=[-–]\d))",
                    re.IGNORECASE)
_FIGURE = re.compile(r"(?<![\w.,])\d[\d,.]*")


def _says_the_counts_asked(text: str, question: str) -> bool:
    """Every count the question gives is in the sentence: a question's number is part of
    the claim, as in a verdict, so a sentence with another count answers another question."""
    said = {f.replace(",", "").rstrip(".") for f in _FIGURE.findall(text)}
    return all(c.replace(",", "").rstrip(".") in said for c in _COUNT.findall(question))


def _candidates(asked: _Asked, ranked: Sequence[RankedSentence], body_of: dict[str, str],
                s: ShortAnswerSettings, *kinds: str) -> Candidates:
    """Each typed span of the top sentences about the question, scored by its sentence's rank
    and coverage and its nearness to the question's words; with the articles that give it."""
    score: dict[str, float] = defaultdict(float)
    articles: dict[str, set[str]] = defaultdict(set)
    where: dict[str, tuple[float, RankedSentence, str]] = {}
    for rank, sentence in enumerate(ranked[: s.sentences]):
        titles_only = _titles_only(sentence, asked, s)
        about = (sentence.coverage >= s.min_coverage or titles_only) and sentence.states_act and sentence.names_asked
        if not about or sentence.is_question:
            continue
        body = body_of[sentence.article_id]
        if _an_earlier_contest(sentence, asked) or not _wins_what_is_asked(sentence, asked):
            continue  # "when the Braves won the World Series in 1914", asked who won it (this year)
        if asked.contest and _another_prize(sentence, asked):
            continue  # "won the Nobel Prize in medicine", asked who won the Nobel peace prize
        if asked.asks_object and asked.contest and not asked.focus.says_every_name(sentence.text):
            continue  # "who did quell knock out in riyadh": another bout's loser, in a sentence without Riyadh
        if not _says_the_counts_asked(sentence.text, asked.focus.text):
            continue  # "Kane, who has scored nine goals in 2023", asked which player scored 50
        said = _act_words(sentence.text, asked.predicate)  # once: the checks below all read them
        if asked.contest and _act_only_a_modifier(sentence.text, said):
            continue  # "into the MVP conversation during his team's four-game win streak", asked who won the MVP
        if _act_undone(sentence.text, said):
            continue  # "Luis Diaz scored to put Liverpool 1-0 up ..., but the flag went up for offside"
        if _act_only_possible(sentence.text, said, asked.focus.text):
            continue  # "Nobody can beat this Canelo," asked who Canelo beat
        if _act_only_failed(sentence.text, said):
            continue  # "Durant once again fell short of winning a title with the Suns"
        if asked.kind in NAME_KINDS and _acts_on_another_thing(sentence.text, said, asked):
            continue  # "Pochettino made James his captain", asked who made the mistake
        if _ended_after(sentence.text, asked.focus):
            continue  # "Swift and Joe Alwyn had broken up after six years of dating", asked who she is dating
        in_sentence: dict[str, float] = {}  # a name said twice in one sentence is one vote
        by_class = _named_by_class(sentence, body, asked)
        for span in by_class + [t for t in sentence.spans if not any(_overlap(t, c) for c in by_class)]:
            text = body[span.start:span.end].strip(" ,.;:'\"“”‘’()")
            if asked.measured and span.kinds == ("number",):
                unit = _UNIT.match(body, span.end)
                if unit is None:
                    continue  # "only about 1" of "1 nanometer thick" is no thickness
                text = body[span.start:unit.end()].strip()
            if "money" in span.kinds and not any(ch.isdigit() for ch in text):
                continue  # "a few dollars", "hundreds of millions of dollars": no amount is said
            if asked.age != bool(_YEARS_OLD.search(text)):
                continue  # "has run it for 25 years" is no age, and "48-year-old" no length of time
            if titles_only and not beside_act(body, sentence.start, sentence.end, span, asked.predicate, window=40):
                continue
            if not any(k in span.kinds for k in kinds) or \
                    (_place_as_other(span, asked) and not _a_side_of_the_contest(sentence, span, asked)) or \
                    not text or not _fits(text, kinds, asked.outlets) or \
                    asked.focus.asks_about(text) or _another_model(text, asked.focus) or \
                    _common_word(text, sentence, body) or _says_the_act(text, asked.predicate) or \
                    (asked.kind == "place" and not _where_said(body, span)) or \
                    _listed_with_the_name_asked(sentence, span, body, asked) or \
                    not _stands_in_act(sentence, span, body, asked):
                continue
            value = _proximity(sentence, span, asked.focus, s) * _placement(sentence, span, body, asked) \
                / (1 + 0.5 * rank) * (0.5 + sentence.coverage) * (2.0 if span in by_class else 1.0)
            key = _key(text)
            in_sentence[key] = max(in_sentence.get(key, 0.0), value)
            articles[key].add(sentence.article_id)
            if key not in where or value > where[key][0]:
                where[key] = (value, sentence, text)
        for key, value in in_sentence.items():
            score[key] += value
    return score, articles, where


# A size asked for ("how thick", "how far"; "how long" too, which a duration answers instead).
_MEASURED = re.compile(r"(?:how\s+(?:thick|thin|tall|high|long|far|heavy|deep|wide|old)|what\s+age)\b", re.IGNORECASE)
_AGE = re.compile(r"how\s+old|what\s+age\b", re.IGNORECASE)
_YEARS_OLD = re.compile(r"\byears?[\s-]old\b", re.IGNORECASE)
_UNIT = re.compile(r"[\s-]*(?:(?:nano|micro|milli|centi|kilo)?(?:met(?:er|re)s?|grams?)|nm|mm|cm|km|kg|mg|lbs?|"
                   r"pounds?|tons?|tonnes?|feet|foot|ft|inch(?:es)?|miles?|yards?|mph|km/h|kph|storeys?|stories|"
                   r"floors|light[\s-]years?|degrees?|°[CF]?|years?[\s-]old)(?![\w])", re.IGNORECASE)
_NAME_RUN = r"[A-Z][\w'’.&-]*(?:\s+[A-Z][\w'’.&-]*){0,4}"
_LEADING = re.compile(r"^(?:(?:The|A|An|Its|Their|His|Her|Our|This|That|Each|Every|Another)(?:\s+|$))?"
                      r"(?:.*[’']s\s+)?")  # "The company told ...": an article, and no name


def _named_by_class(sentence: RankedSentence, body: str, asked: _Asked) -> list[TypedSpan]:
    """Names the sentence gives beside the class noun asked for, typed as asked: "the new
    wave band Oingo Boingo", "the production company “Pressure is a Privilege,”", "Agility's
    Digit robot". The tagger may have cut or mistyped them ("Privilege", Digit a person).
    The noun is in lower case: "The Brady Bunch Movie" is a title of its own."""
    noun = asked.named_class
    if not noun:
        return []
    text, found = sentence.text, []
    after = re.compile(rf"\b{noun}s?,?\s+(?:[“\"]([^”\"]{{2,60}}?)[,.]?[”\"]|({_NAME_RUN}))")
    for match in after.finditer(text):
        group = 1 if match.group(1) else 2
        found.append((match.start(group), match.end(group)))
    before = re.compile(rf"({_NAME_RUN})\s+{noun}s?\b")
    for match in before.finditer(text):
        cut = _LEADING.match(match.group(1)).end()
        if cut < len(match.group(1)):
            found.append((match.start(1) + cut, match.end(1)))
    spans = []
    for start, end in found:
        first = text[start:end].split()[0].lower()
        if re.search(r"-[a-z]", text[start:end]):
            continue  # "the AI-powered chatbot": a description, not a name
        if first not in _GENERIC_TERMS and not is_role(first):  # "company CEO Tim Cook": a title, not its name
            spans.append(TypedSpan(sentence.start + start, sentence.start + end, (asked.kind,)))
    return spans


def _another_model(text: str, focus: Focus) -> bool:
    """Another model of the line the question names: "the Pixel 7 Pro", asked who makes the
    Pixel 8 (the first word of a name the question gives, and a model number in either)."""
    said = without_article(words(text))
    for name in focus.names:
        named = without_article(words(name))
        if said and named and said[0] == named[0] and said != named and \
                any(ch.isdigit() for ch in text + name):
            return True
    return False


def _overlap(a: TypedSpan, b: TypedSpan) -> bool:
    return not (a.end <= b.start or b.end <= a.start)


def _place_as_other(span: TypedSpan, asked: _Asked) -> bool:
    """A place is no person, and no company unless a team is asked for ("what airline had a
    crash": not Denmark; "which country won": a country may be)."""
    if "place" not in span.kinds:
        return False
    return asked.kind == "person" or (asked.kind == "organization" and asked.named_class not in _SIDES)


def _listed_with_the_name_asked(sentence: RankedSentence, span: TypedSpan, body: str, asked: _Asked) -> bool:
    """A name listed beside a name the question asks about ("the hearts of Laura Bennett and
    Omar Pike") is its peer, not the team or company it belongs to: asked what team Bennett
    plays for. A
    question of two sides together ("who is Xiaomi partnering with") is not asked so."""
    if asked.kind not in ("organization", "place") or asked.asks_object or asked.contest or \
            _TWO_SIDES.search(asked.focus.text):
        return False
    return listed_with(body[sentence.start:span.start], body[span.end:sentence.end], asked.focus)


def listed_with(before: str, after: str, focus: Focus) -> bool:
    """Whether the words ``before`` and ``after`` a span list it with a name ``focus`` asks
    about: "Bennett and " + span, or span + " or Bennett"."""
    listed = (_LISTED_AFTER.search(before), _LISTED_BEFORE.match(after))
    return any(m is not None and focus.asks_about(m.group(1)) for m in listed)


_NAME_WORD = r"([A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*){0,2})"
# "and" or "or" lists; a bare comma may be an apposition ("College Station, Texas").
_LISTED_AFTER = re.compile(_NAME_WORD + r",?\s+(?:and|or|&)\s+$")
_LISTED_BEFORE = re.compile(r",?\s+(?:and|or|&)\s+" + _NAME_WORD)
_TWO_SIDES = re.compile(r"\b(?:with|against|vs\.?|versus|between|and|partner\w*|team\w*\s+up|join\w*|merg\w+|"
                        r"rival\w*|ally|allies|allied)\b", re.IGNORECASE)


def _where_said(body: str, span: TypedSpan) -> bool:
    """Whether a place is said as where something is: after "in", "at", "near" and the like
    ("a plant in Beijing"), as a city's state ("College Station, Texas"), or as a base or
    host ("Austin-based", "Las Vegas will host"). "Rebecca and Laura report", a name the
    tagger took for a place, and "Madrid's best avenue", a city's team, say no where."""
    if _OWNS.match(body, span.end):
        return False
    if _BASED_AFTER.match(body, span.end):
        return True
    start = span.start
    for _ in range(6):  # "in Lyon, Tampere and Oslo": a place listed after one said as a place
        before = body[max(0, start - 40):start]
        if _LOCATIVE_BEFORE.search(before):
            return True
        listed = _AFTER_A_LISTED_PLACE.search(before)
        if listed is None:
            return False  # "friendlies against Germany and Ghana": neither is where
        start = start - len(before) + listed.start()
    return False


_OWNS = re.compile(r"['’]s?\s")
_LOCATIVE_BEFORE = re.compile(
    r"(?:\b(?:in|at|from|near|outside|inside|across|into|throughout|around|within|to|toward|towards|on|off|"
    r"via|through|between|including|besides|except|beyond|like|as)\s+(?:the\s+)?(?:(?:city|state|town|region|province|country)\s+of\s+)?|"
    r"[A-Z][\w.'’-]*,\s+)$")
_AFTER_A_LISTED_PLACE = re.compile(r"[A-Z][\w.'’-]*(?:\s+[A-Z][\w.'’-]*)*(?:,\s+(?:and\s+|or\s+)?|\s+(?:and|or)\s+)$")
_BASED_AFTER = re.compile(r"(?:-|\s+)(?:based|headquartered|born|area)\b|\s+(?:will\s+|would\s+)?host", re.IGNORECASE)
_SIDES = frozenset("team side club country nation teams sides clubs countries nations".split())


def _titles_only(sentence: RankedSentence, asked: _Asked, s: ShortAnswerSettings) -> bool:
    """A sentence short of the question's other words ("who is the ceo of rainforest, the
    payments startup") still answers a role by the person it titles with it ("CEO and
    co-founder Joshua Silver"): its coverage counts its article's title, which says whose."""
    return bool(asked.predicate) and is_role(asked.predicate) and \
        s.titled_coverage <= sentence.coverage < s.min_coverage


def _winner(score: dict[str, float], articles: dict[str, set[str]],
            where: dict[str, tuple[float, RankedSentence, str]], s: ShortAnswerSettings,
            places: bool = False) -> ShortAnswer | None:
    if not score:
        return None
    total = {k: score[k] * (1 + 0.3 * (len(articles[k]) - 1)) for k in score}  # redundancy across articles
    ranked_keys = sorted(total, key=lambda k: -total[k])
    best = ranked_keys[0]
    third = total[ranked_keys[2]] if len(ranked_keys) > 2 else 0.0
    pair = coordinated(where[best], where[ranked_keys[1]], places) if len(ranked_keys) > 1 else None
    if pair is not None and total[best] + total[ranked_keys[1]] >= max(s.min_score, s.min_margin * third):
        return pair  # "founded by Alex Gunnarson and Zach Hudson": both are the answer
    if total[best] < s.min_score:
        return None
    if len(ranked_keys) > 1:
        runner = ranked_keys[1]
        if total[best] < s.min_margin * total[runner] and not (runner in best or best in runner) and \
                not restated(where[best], where[runner]):
            return None
    # "BAIC" over "BAIC BluePark New Energy Technology Co" when the short form is about as strong.
    shorter = [k for k in ranked_keys[1:] if f" {k} " in f" {best} " and score[k] >= 0.4 * score[best]]
    if shorter:
        best = max(shorter, key=lambda k: score[k])
    _, sentence, text = where[best]
    return ShortAnswer(text, sentence, total[ranked_keys[0]])


Placed = tuple[float, RankedSentence, str]


def _between(first: Placed, second: Placed) -> tuple[int, int, str] | None:
    """Two spans of one sentence: where the first begins and the second ends (in the
    sentence's text), and the text between them; None when they are not in one sentence."""
    (_, sentence, text_a), (_, other, text_b) = first, second
    if sentence is not other:
        return None
    a, b = sentence.text.find(text_a), sentence.text.find(text_b)
    if a < 0 or b < 0:
        return None
    (left, left_text), (right, right_text) = sorted([(a, text_a), (b, text_b)])
    return left, right + len(right_text), sentence.text[left + len(left_text):right]


def restated(first: Placed, second: Placed) -> bool:
    """The runner-up only restates the winner in brackets ("€105 million ($112 million)",
    "5 miles (8 km)"): one value, not a rival answer."""
    found = _between(first, second)
    return found is not None and re.fullmatch(
        r"[^()]{0,12}\(\s*(?:about|around|roughly|approximately|or|some|nearly)?\s*[$€£¥₹]?", found[2]) is not None


def coordinated(first: Placed, second: Placed, places: bool = False) -> ShortAnswer | None:
    """Two winning spans joined by "and" in one sentence are one answer, quoted as the
    sentence writes it ("Max and Bob"); two ``places`` joined by a comma are one place, a
    city and its country or state ("Tampere, Finland")."""
    found = _between(first, second)
    joined = r"\s*(?:,\s*)?(?:and|&)\s+" + (r"|,\s+" if places else "")
    if found is None or not re.fullmatch(joined, found[2]):
        return None
    start, end, _ = found
    sentence = first[1]
    return ShortAnswer(sentence.text[start:end], sentence, first[0] + second[0])


def full_name(text: str, sentence: RankedSentence, body: str) -> str:
    """A surname alone ("Park") is the full name the article gives it ("Jeseo Park"); a name the
    sentence does not tag as a person's ("MLB" of "Every MLB Team") stays as it is."""
    people = {body[s.start:s.end] for s in sentence.spans if "person" in s.kinds}
    if " " in text or not text[:1].isupper() or text not in people:
        return text
    # "Ines van der Berg": the particles of a surname belong to it.
    match = re.search(rf"\b((?:[A-Z][\w'’-]+\s+){{1,2}}(?:(?:{_PARTICLES})\s+){{0,2}}){re.escape(text)}\b", body)
    if match and (match.group(0) in people or len([w for w in match.group(1).split() if w[:1].isupper()]) == 1):
        first = match.group(1).split()[0]
        if first[:1].isupper() and first.lower() not in STOPWORDS:
            return match.group(0)
    return text


_PARTICLES = "von|van|der|den|de|del|della|da|di|du|la|le|bin|ibn|al|el|dos|das"
_PARTICLE_END = re.compile(rf"\s(?:{_PARTICLES})$")


def _with_its_surname(text: str, sentence: RankedSentence, body: str) -> str:
    """"Ursula von der", as the tagger may cut a name at its particles, is "Ursula von der Leyen"."""
    at = body.find(text, sentence.start, sentence.end)
    rest = re.match(r"\s+[A-Z][\w'’-]+", body[at + len(text):sentence.end]) if at >= 0 else None
    return text + rest.group(0) if rest and _PARTICLE_END.search(text) else text


def usual_spelling(name: str, bodies: Iterable[str]) -> str:
    """A person's name as the retrieved articles mostly spell it: "Tony Pettiti", in two of
    ten mentions, is "Tony Petitti" (same first name, a surname one or two letters apart,
    written at least twice as often)."""
    parts = name.split()
    if len(parts) < 2 or not parts[-1][:1].isupper():
        return name
    surname = parts[-1]
    pattern = re.compile(rf"\b{re.escape(' '.join(parts[:-1]))}\s+({re.escape(surname[0])}[\w'’-]+)")
    counts = Counter(m.group(1) for body in bodies for m in pattern.finditer(body))
    best, seen = max(counts.items(), key=lambda item: item[1], default=(surname, 0))
    if best != surname and seen >= 2 * max(counts.get(surname, 0), 1) and abs(len(best) - len(surname)) <= 1 and \
            DamerauLevenshtein.distance(best.lower(), surname.lower()) <= 2:
        return " ".join([*parts[:-1], best])
    return name
