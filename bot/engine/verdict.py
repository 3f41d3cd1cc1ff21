"""Yes/no verdicts from quoted evidence, by stance cues aligned with the question.

Usage::

    from bot.engine.verdict import decide_verdict
    verdict = decide_verdict("Did Hyundai confirm the plant deal?", evidence)
    verdict.value            # "no"
    verdict.deciding         # index into `evidence` of the sentence that decides it

No NLI model is available offline, so the method is explicit: find the question's
subject (the name it leads with), predicate (its main verb) and objects, then read each
evidence sentence in which the subject leads the clause: the predicate or a synonym
(affirms, when the objects are there too), the predicate under negation, its opposite or
a denial (denies). A denial by someone else (Hyundai denying a claim about Xiaomi) says
nothing about the subject. Agreement decides; disagreement or silence gives no verdict,
because no verdict is better than a wrong one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from bot.engine.lexicon import failed_before, is_known_act, related_stems, undone_after
from bot.engine.question import YES_NO_OPENERS, is_role
from bot.engine.syntax import contest_role, describes_a_noun, takes_another_object, win_owner
from index.text import STOP_WORDS as STOPWORDS
from index.text import stem

# "no" before a number is "number" ("the Hyundai No 2 plant"), not a negation.
_NEGATION = re.compile(r"\b(?:not|no(?!\.?\s*\d)|never|neither|nor|none|without|fail(?:s|ed)? to)\b|n['’]t\b",
                       re.IGNORECASE)
# Words that deny or undo a claim, whatever the claim's verb.
_DENIAL = re.compile(
    r"\b(?:reject\w*|den(?:y|ied|ies|ial)\w*|dismiss\w*|refut\w*|rebut\w*|groundless|baseless|unfounded|untrue|"
    r"false(?:ly)?|dispute[sd]?|disputing|contradict\w*|ruled out|rules out|scrap(?:s|ped)?|call(?:ed|s)? off|"
    r"cancel(?:l?ed|s)?|abandon\w*|declin(?:e|ed|es) to)\b",
    re.IGNORECASE,
)
# "...contributed to the kernel; he never has": a short clause that takes the claim back
# ("— it wasn't the company's first" denies the first, not the act).
_TAKEN_BACK = re.compile(r"[;,—–-]\s*(?:but\s+)?(?:he|she|it|they|that|this|which)\s+(?:is|was|has|have|had|did|"
                         r"does|do)?\s*(?:never|not|n['’]t)\b(?!\s+(?:the|its|their|his|her)\s+(?:[\w'’-]+\s+)?"
                         r"(?:first|only|last|biggest|largest)\b)|\b(?:which|that)\s+(?:is|was)\s+(?:false|untrue)\b",
                         re.IGNORECASE)
# Phrasal rejections: "voted the plan down", "turned the offer down", "threw out the bid".
_PHRASAL_NO = re.compile(r"\b(?:vot(?:e|ed|es|ing)|turn(?:ed|s|ing)?|shot|shoot(?:s|ing)?|knock(?:ed|s)?)\s+"
                         r"(?:[\w'-]+\s+){0,4}?(?:down|back)\b|\bthr(?:ew|ow|own|ows)\s+(?:[\w'-]+\s+){0,3}?out\b")
_NP_END = frozenset("the a an any its their his her this that these those to for on in with of about at".split())
# A verb under a modal or an intention says what may, should or will happen, not what did.
_HYPOTHETICAL = re.compile(r"\b(?:could|might|may|would|should|must|(?:need|needs|needed|have|has|had|want|wants|"
                           r"wanted|plan|plans|planned|expected|likely|going|set|aims?|hopes?|considering|"
                           r"weighing|order|orders|ordered|told|asked|urged|bid|effort|attempt|request|requested|"
                           r"proposal|proposed|threatened|vowed|promised|pledged|open|willing|eager|keen|try|tries|"
                           r"tried|trying|seek|seeks|sought|seeking|path|quest|race|push|battle|fight|struggle|"
                           r"struggled|struggling|campaign|chance|hope)\s+to)\b|"
                           r"\b(?:if|whether|unless)\b|"  # "would not say if it had offered a settlement"
                           # "the lone analyst that picks the Bills to beat the Bengals": a forecast
                           r"\b(?:picks?|picked|picking|predicts?|predicted|predicting|tips?|tipped|tipping|"
                           r"expects?|expecting|backs?|backing|favou?rs?|favou?red)\s+(?:[\w'’.-]+\s+){1,4}to\s+$|"
                           # "preparing for a ground invasion", "in advance of a potential one": still to come
                           r"\b(?:prepar(?:e|es|ed|ing)|ready(?:ing)?|gear(?:s|ed|ing)\s+up)\s+(?:for|to)\b|"
                           r"\b(?:potential|possible|planned|proposed|looming|imminent|upcoming|threatened)\s+"
                           r"(?:[\w-]+\s+)?$|"
                           # "need one more win": a win still to come
                           r"\b(?:needs?|needed|requires?|required)\s+(?:just\s+|only\s+)?(?:one|two|three|a|an|another)"
                           r"\s+(?:more\s+)?$")
# "pushed yields lower": where something ended up, often in passing; its sentence must name
# what went lower itself (the title's "rate optimism" does not make yields rates).
_BARE_COMPARATIVES = frozenset("lower higher".split())
# Asked whether an act was done, one still to come is no answer (asked whether it will be, it is).
_DONE_OPENERS = frozenset("did has have had was were".split())
_FUTURE = re.compile(r"(?:\b(?:will|would|shall|won['’]t)|['’]ll)\s+(?:[\w'’-]+\s+){0,3}$")
_ORDINALS = frozenset(stem(w) for w in "first second third fourth fifth sixth seventh eighth ninth tenth last".split())
# A month asked about is part of the claim: raising rates this year is no answer about November.
_MONTHS = frozenset(stem(w) for w in "january february march april june july august september october november "
                    "december".split())
_CLAUSE_BREAK = re.compile(r"[;:]|,\s+(?:but|while|whereas|although|though|which|who)\b|\b(?:but|while|whereas)\b")
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’-]*")
_NOT_A_VERB = frozenset(
    "the a an this that these those there it its their his her any some article report reports story piece "
    "post recent latest new news same other both ever still already really actually also just officially "
    "finally yet".split()
)


@dataclass(frozen=True)
class EvidenceSentence:
    text: str
    relevance: float
    context: str = ""           # the article's title: what the sentence is about when it does not say


@dataclass(frozen=True)
class Verdict:
    value: str | None           # "yes", "no" or None
    deciding: int | None        # index of the sentence that decides it
    stances: tuple[int, ...]    # +1 affirms, -1 denies, 0 silent, per evidence sentence


@dataclass(frozen=True)
class YesNoQuestion:
    subject: tuple[str, ...]    # lower-cased words the evidence must mention as its subject
    predicate: str | None       # the main verb's stem, e.g. "confirm"
    objects: tuple[str, ...]    # stems of the words after the verb
    negated: bool               # "Didn't Hyundai confirm ...?"
    asks_done: bool = False     # "did", "has", "was": about an act done, not one to come
    passive: bool = False       # "was orbel sued": the subject is the one the act was done to


def parse_yes_no(question: str, names: Sequence[str] = ()) -> YesNoQuestion | None:
    """Subject, predicate and object of "did hyundai confirm the plant deal?": the subject
    is the knowledge base's name the question leads with (or the words before the verb),
    the predicate the first word after it that is not filler, the objects what follows.
    A passive with its doer ("is amazon being sued by the ftc") is read as the active
    ("did the ftc sue amazon")."""
    words = _WORD.findall(question)
    if not words or words[0].lower() not in YES_NO_OPENERS:
        return None
    negated = words[0].lower().endswith(("n't", "n’t")) or bool(_NEGATION.search(" ".join(words[1:4])))
    # "did the report say that orbel would close the plant": the claim asked about is one to come.
    opener = words[0].lower().replace("’", "'").removesuffix("n't")
    asks_done = opener in _DONE_OPENERS and \
        not any(_FUTURE.match(f"{w.lower()} ") for w in words[1:])
    rest = [w for w in words[1:] if not _NEGATION.fullmatch(w)]
    while rest and rest[0].lower() in _NOT_A_VERB:
        rest.pop(0)
    lowered = [w.lower().removesuffix("'s").removesuffix("’s") for w in rest]
    subject_start, subject_end = _leading_name(lowered, names) or (0, _capitalised_run(rest))
    possessive = subject_end <= len(rest) and rest[subject_end - 1].endswith(("'s", "’s"))
    owned = _leading_name(lowered[subject_end:], names) if possessive else None
    if owned and owned[0] <= 2:  # "do amazon's new echo frames have ...": the thing owned is the subject
        subject_start, subject_end = subject_end + owned[0], subject_end + owned[1]
    subject = tuple(w for w in lowered[subject_start:subject_end] if w not in STOPWORDS)
    # "get" and "being" before a verb only make it passive ("did X get convicted").
    kept = [j for j in range(subject_end, len(lowered)) if lowered[j] not in _NOT_A_VERB | _PASSIVE_AUX]
    after = [lowered[j] for j in kept]
    # The word that follows each in the question itself: "hit *the* winning six".
    next_said = [lowered[j + 1] if j + 1 < len(lowered) else "" for j in kept]
    if not after:
        return YesNoQuestion(subject, None, (), negated)
    # The verb is the first word the lexicon knows as an act, or that an object follows
    # ("the brackwater council approve *the* toll"); the words before it extend the subject.
    # A role before the verb is the subject's ("did the binance ceo resign"), not the act.
    # After "is" or "was" a bare verb form is a noun ("is the uaw *strike* over").
    be_opener = opener in _BE_OPENERS
    verb_at = next((i for i, w in enumerate(after) if not w[:1].isdigit() and (
                    (is_known_act(stem(w)) and not (is_role(w) and i + 1 < len(after))) or
                    (i + 1 < len(after) and next_said[i] in _NP_END)) and
                    not (be_opener and _noun_before_its_predicate(after, i))), 0)
    if be_opener and _noun_before_its_predicate(after, verb_at):
        return YesNoQuestion(subject + tuple(w for w in after if w not in STOPWORDS), None, (), negated)
    subject += tuple(w for w in after[:verb_at] if w not in STOPWORDS)
    if after[verb_at] == "found" and after[verb_at + 1:verb_at + 2] and after[verb_at + 1] in _FINDINGS:
        verb_at += 1  # "was sbf found guilty": a finding of guilt, not a founding
    elif stem(after[verb_at]) in _STARTING and verb_at + 1 < len(after) and after[verb_at + 1].endswith("ing"):
        verb_at += 1  # "has twitch started letting streamers simulcast": the act begun is the one asked about
    elif stem(after[verb_at]) in _PERMITTED and after[verb_at + 1:verb_at + 2] == ["to"] and verb_at + 2 < len(after):
        verb_at += 2  # "was keep labs allowed to keep its award": whether it kept it
    following = after[verb_at + 1:]
    if stem(after[verb_at]) in _REPORTING and (clause := _reported_clause(words, after[verb_at])):
        # "did a study find that 97% of kids use phones": whether the finding holds, as said
        return parse_yes_no(f"{words[0]} {clause}", names) or YesNoQuestion(subject, None, (), negated)
    if following[:1] == ["by"] and len(following) > 1:
        doer = tuple(w for w in following[1:] if w not in STOPWORDS)
        return YesNoQuestion(doer, stem(after[verb_at]), tuple(stem(w) for w in subject), negated, asks_done)
    objects = tuple(stem(w) for w in following if w not in STOPWORDS)
    passive = (be_opener or bool(_PASSIVE_AUX & set(lowered[subject_end:]))) and _is_participle(after[verb_at])
    return YesNoQuestion(subject, stem(after[verb_at]), objects, negated, asks_done, passive)


_BE_OPENERS = frozenset("is are was were am".split())
# Past participles that do not end in -ed or -en: "was the plant *shut* down", "is the deal *done*".
_IRREGULAR_PARTICIPLES = frozenset(
    "done made sold built hit cut set shut put run let quit cost hurt beat bid spread split won lost found held kept "
    "led paid bought sent spent told said gone struck brought caught fought taught left met hung sunk stuck swept "
    "shot lit read".split())


def _is_participle(word: str) -> bool:
    return word.endswith(("ed", "en")) or word in _IRREGULAR_PARTICIPLES or word in _IRREGULAR_PAST


# "was fired", "has been sued", "got convicted": the act is done to the one named before it.
_PASSIVE_BEFORE = re.compile(r"\b(?:was|were|been|being|is|are|be|got|gets|get|getting)\s+(?:\w+ly\s+)?$")


def _done_to_the_one_before(lowered: str, match: re.Match[str]) -> bool:
    """The act word is a participle after a form of "be" or "get": a passive."""
    return _is_participle(match.group(0)) and \
        _PASSIVE_BEFORE.search(lowered, max(0, match.start() - 25), match.start()) is not None


def _passive_by_subject(lowered: str, match: re.Match[str], question: YesNoQuestion) -> bool:
    """"Sam Altman was fired ... by OpenAI's board": a passive whose doer, after "by" in its
    clause, is the subject, done to an object asked about named before it."""
    if not question.objects or not _done_to_the_one_before(lowered, match):
        return False
    if not _stems(lowered[_clause_start(lowered, match.start()):match.start()]) & set(question.objects):
        return False
    return _done_by_the_subject(lowered, match, question.subject)


def _done_by_the_subject(lowered: str, match: re.Match[str], subject: tuple[str, ...]) -> bool:
    """The act's clause names the subject after "by": "rejected by HSF shareholders"."""
    stop = _CLAUSE_END.search(lowered, match.end())
    by = re.search(r"\bby\s+", lowered[match.end():stop.start() if stop else len(lowered)])
    return by is not None and bool(_subject_mentions(lowered[match.end() + by.end():][:60], subject))


def _noun_before_its_predicate(after: Sequence[str], at: int) -> bool:
    """After a form of "be", ``after[at]`` is a noun when it is no participle and another word
    follows that starts no object: "is the uaw strike over", not "is the store open on sundays"."""
    word = after[at]
    return not word.endswith(("ing", "ed", "en")) and word not in _IRREGULAR_PARTICIPLES and \
        at + 1 < len(after) and after[at + 1] not in _NP_END and after[at + 1] != "by"


# Verbs that report a claim without taking a side on it (unlike "confirm" or "deny").
_REPORTING = frozenset(stem(w) for w in "say said says find found finds show showed shows report reported "
                       "reports claim claimed claims allege alleged reveal revealed suggest suggested state "
                       "stated write wrote note noted".split())


def _reported_clause(words: Sequence[str], verb: str) -> str | None:
    """The clause after "<verb> that", when the question has one of three words or more."""
    at = next((i for i, w in enumerate(words) if w.lower() == verb), None)
    if at is None or at + 1 >= len(words) or words[at + 1].lower() != "that" or len(words) - at - 2 < 3:
        return None
    return " ".join(words[at + 2:])


_PLEA = re.compile(r"\bplea(?:d|ds|ded|ding)?\s+(?:not\s+)?$")
_LINKING_BEFORE = re.compile(r"\b(?:looks?|looked|looking|seems?|seemed|appears?|appeared|feels?|felt|sounds?|"
                             r"sounded)\s+(?:\w+ly\s+)?$")
_PLEADING = related_stems(stem("plead"))[0]
_NOT_AFTER = re.compile(r"\s+not\b")  # "pleaded not guilty": the plea is the opposite
_FINDINGS = frozenset("guilty innocent liable responsible dead".split())
_PERMITTED = frozenset(stem(w) for w in "allowed permitted able".split())
_STARTING = frozenset(stem(w) for w in "start started starts begin began begun begins".split())
_PASSIVE_AUX = frozenset("get gets got gotten getting being been".split())


def _leading_name(lowered: list[str], names: Sequence[str]) -> tuple[int, int] | None:
    """Where the first name the question leads with sits among its words ("sci-fi author
    *Charlie Stross*"; a later name, "beat *Ohio State*", is an object), the longest first.
    Spaces and hyphens do not count: "sam bankman fried" is "Sam Bankman-Fried"."""
    def key(parts: Sequence[str]) -> str:
        return re.sub(r"[\s-]+", "", " ".join(parts))
    wanted = {key([n.lower()]) for n in names}
    leading = [(at, end) for at in range(min(4, len(lowered))) for end in range(at + 1, min(at + 6, len(lowered)) + 1)
               if key(lowered[at:end]) in wanted]
    return min(leading, key=lambda span: (span[0], -span[1])) if leading else None


def _capitalised_run(rest: Sequence[str]) -> int:
    """With no known name, the subject is the opening run of capitalised words, else one word."""
    if rest[:1] and rest[0][:1].isupper():
        return next((i for i, w in enumerate(rest) if i and not w[:1].isupper()), 1)
    return 1


def _clause_start(lowered: str, at: int, *, dashes: bool = False) -> int:
    """Where the clause holding position ``at`` begins; with ``dashes``, a spaced dash
    opens one too."""
    breaks = [m.end() for m in _CLAUSE_BREAK.finditer(lowered, 0, at)]
    if dashes:
        breaks += [m.end() for m in re.finditer(r"\s[—–]\s", lowered[:at])]
    return max(breaks, default=0)


def _subject_leads(lowered: str, subject: tuple[str, ...], at: int) -> bool:
    """The subject is named before position ``at`` in the same clause ("A spokesperson for
    Hyundai rejected ..."), so the verb there is the subject's own act."""
    if not subject:
        return True
    clause = _DASHED_ASIDE.sub(" ", _ASIDE.sub(",", lowered[_clause_start(lowered, at):at]))
    return bool(_subject_mentions(clause, subject))


def _subject_mentions(lowered: str, subject: tuple[str, ...]) -> list[int]:
    """Where each mention of a subject word ends: a word start, so "fed" is not in "unfed"."""
    return [m.end() for word in subject for m in re.finditer(rf"(?<![\w]){re.escape(word)}", lowered)]


_POSSESSOR = re.compile(r"\b([A-Z][\w.-]*)(?:['’]s|['’])\s+(?:[a-z][\w-]*\s+){0,2}$")


def _owned_by_another(sentence: str, at: int, subject: tuple[str, ...]) -> bool:
    """The act at ``at`` is a noun another name owns ("Varga's surprise attack", asked
    whether Orbel attacked): a proper name's possessive that is not the subject's."""
    owner = _POSSESSOR.search(sentence[max(0, at - 60):at])
    if not owner or not subject:
        return False
    name = owner.group(1).lower()
    return not any(name == word or name in word.split() for word in subject)


# A name right before the act, maybe with an auxiliary or "to" between: "Hamas invaded",
# "ask Chewy to raise".
_DOER_BEFORE = re.compile(r"((?:[A-Z][\w.&-]*\s+){1,4})(?:(?:has|have|had|also|reportedly|then|later|to|is|was|"
                          r"were|are)\s+){0,2}$")
_NOT_A_DOER = frozenset("the a an i it he she they we this that in on at by after before monday tuesday wednesday "
                        "thursday friday saturday sunday january february march april may june july august "
                        "september october november december".split())
# Between the subject and a name: the name is the subject's own person ("Hyundai spokesperson
# Kim", "Microsoft CEO Satya Nadella", "a spokesperson for Hyundai, Kim Lee").
_OWN_PERSON = re.compile(r"^(?:['’]s|[\s,]|[A-Z][\w.&-]*|of|for|the|its|and)*$")


def _done_by_another(sentence: str, at: int, subject: tuple[str, ...]) -> bool:
    """Another name does the act at ``at``: "casualties in Israel and Gaza, nine days Hamas
    invaded Israel" is no invasion by Israel; the subject's spokesperson or chief acts for it."""
    doer = _DOER_BEFORE.search(sentence, max(0, at - 80), at)
    if not doer or not subject:
        return False
    names = [w.lower() for w in doer.group(1).split()]
    if all(name in _NOT_A_DOER for name in names) or any(_names_subject(name, subject) for name in names):
        return False
    said = _subject_mentions(sentence[:doer.start()].lower(), subject)
    if not said:
        return False  # the subject is not named before: _subject_leads decides
    between = " ".join(w for w in sentence[max(said):doer.start()].split() if not is_role(w.strip(",")))
    return not _OWN_PERSON.match(between)


_NAME_AFTER = re.compile(r"\s+(?:(?:the|a|an|its|their|his|her)\s+)?((?:[A-Z][\w-]*|\d+)(?:\s+(?:[A-Z][\w-]*|\d+))*)")
_CLAUSE_END = re.compile(r"[.;:!?]\s|,\s+(?:but|while|whereas|although|though|and)\b|\s[—–]\s")


_COUNTED = re.compile(r"\b(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|\w+teen|twenty|"
                      r"thirty|forty|fifty|several|many|few|multiple)\s+(?:[\w-]+\s+)?$")


def _a_tally(lowered: str, match: re.Match[str], question: YesNoQuestion) -> bool:
    """The act is a counted plural noun ("eight wins", "three straight victories"): things
    done many times, not the act on the thing asked, unless the question counts too."""
    return match.group(0).endswith("s") and not any(o[:1].isdigit() for o in question.objects) and \
        _COUNTED.search(lowered, max(0, match.start() - 30), match.start()) is not None


def _acts_on_another_thing(sentence: str, match: re.Match[str], question: YesNoQuestion) -> bool:
    """The act takes an object of its own, and the question's objects are said only before
    it: "despite the predicted losses, the company has made good progress" makes no loss.
    Only then is the sentence parsed. A pronoun or a definite object may stand for the thing."""
    after, before = _stems(sentence[match.end():].lower()), _stems(sentence[:match.start()].lower())
    if not question.objects or any(_held(o, after) for o in question.objects):
        return False
    if not any(_held(o, before) for o in question.objects):
        return False  # the objects come from the title, or a denial names none: no parse needed
    return takes_another_object(sentence, match.start(), match.end(),
                                lambda phrase: any(_held(o, _stems(phrase.lower())) for o in question.objects))


def _acts_on_another_name(sentence: str, end: int, question: YesNoQuestion) -> bool:
    """The act ending at ``end`` takes for its object a name that is not the one asked about,
    and its clause lacks an object asked about: "when it started delivering the Model Y" is
    no Cybertruck delivered; "cut Model Y prices" still cuts prices."""
    name = _NAME_AFTER.match(sentence, end)
    if not question.objects or not name:
        return False
    if all(stem(w.lower()) in question.objects for w in name.group(1).split()):
        return False  # the name asked about
    stop = _CLAUSE_END.search(sentence, end)
    clause = _stems(sentence[end:stop.start() if stop else len(sentence)].lower())
    return not all(_held(o, clause) for o in question.objects)


_AIMED_AT = re.compile(r"\s+(on|against|upon)\s+(?:the\s+)?([\w'’-]+)")


def _done_to_subject(lowered: str, end: int, subject: tuple[str, ...]) -> bool:
    """The act ending at ``end`` is aimed at the subject, or on its own ("attacks on Israel",
    "the attacks on its people"): the subject is its target, not its doer. A suit "against
    its former partner" is the subject's own."""
    target = _AIMED_AT.match(lowered, end)
    if not target or not subject:
        return False
    preposition, word = target.groups()
    return _names_subject(word, subject) or (preposition != "against" and word in _OWN_PRONOUNS)


_OWN_PRONOUNS = frozenset("its their his her".split())


# An aside that compares the doer with others: "He, like many of SBF's colleagues, testified"
# is not SBF testifying.
_ASIDE = re.compile(r",\s*(?:like|unlike|including|such\s+as|as\s+with|along\s+with)\b[^,]*,")
# Between two dashes, what the doer is: "Yedidia — Varga's college friend — had testified" is
# Yedidia testifying, not Varga.
_DASHED_ASIDE = re.compile(r"\s[—–]\s[^—–]*\s[—–]\s")


_SPEECH = re.compile(r"\b(?:say|says|said|saying|suggest\w*|argu\w*|claim\w*|believ\w*|think\w*|thought|"
                     r"insist\w*|urg\w*|want\w*|call(?:s|ed)? for|told|tells|wrote|writes)\b")


def _reported_by_other(lowered: str, subject: tuple[str, ...], at: int) -> bool:
    """The words before ``at`` in its clause report someone else's speech or view ("X said
    that ...", "Y suggests ...") and the subject is not the one speaking."""
    if not subject:
        return False
    # A dash opens a new voice too ("... store — instead, Sweeney suggests ..."), though it
    # may sit inside one clause as an aside, so it breaks clauses for this test only.
    clause_start = _clause_start(lowered, at, dashes=True)
    speeches = list(_SPEECH.finditer(lowered, clause_start, at))
    return bool(speeches) and not _names_subject(lowered[clause_start:speeches[-1].start()], subject)


# "FTX was a fraud from the start, the SEC alleges": an accuser's word, put after the claim.
_ALLEGED_AFTER = re.compile(r"[,—–][”\"]?\s*((?:[\w'’.-]+\s+){0,6}?)(?:alleg\w*|accus\w*|claim(?:s|ed)?|contend\w*|"
                            r"argu(?:e|es|ed))(?=\s*(?:[.,;:—–]|in\b|$))")


def _alleged_after(lowered: str, subject: tuple[str, ...], end: int) -> bool:
    """A clause after the act gives it as someone else's allegation ("..., the SEC alleges")."""
    alleged = _ALLEGED_AFTER.search(lowered, end)
    return bool(alleged and subject) and not _names_subject(alleged.group(1), subject)


# "keep" before a verb in -ing says an act goes on, not that something is kept.
_KEEPS_DOING = re.compile(r"(?:keep|keeps|kept|keeping)\s+(?:\w+ly\s+)?(?:on\s+)?\w{2,}ing\b")
_CONTEST = related_stems(stem("beat"))[0]
_LOSING = related_stems(stem("lose"))[0]
_WINNING = related_stems(stem("win"))[0]


def _beaten_by_object(lowered: str, question: YesNoQuestion, word_stem: str, match: re.Match[str]) -> bool:
    """A contest won the other way round: the question's object leads the clause with a
    winning verb and its subject comes after it, in the same clause ("Bayern coasted into the
    knockout rounds but ... United entered the final matchweek" has no one beat United)."""
    if question.predicate not in _CONTEST or word_stem not in _CONTEST or not question.objects:
        return False
    before = _stems(lowered[_clause_start(lowered, match.start()):match.start()])
    clause_end = _CLAUSE_BREAK.search(lowered, match.end())
    after = lowered[match.end():min(match.end() + 60, clause_end.start() if clause_end else len(lowered))]
    return question.objects[0] in before and _names_subject(after, question.subject)


def _contest_between(sentence: str, question: YesNoQuestion) -> int:
    """"Did A beat B?" against one act the parse puts both in ("B's victory over A", "A
    stunned B"): +1 when A is its winner, -1 when A is its loser; 0 when no one act holds both."""
    if question.predicate not in _CONTEST | _LOSING or not question.subject or not question.objects:
        return 0
    if _NEGATION.search(sentence):
        return 0  # "Ohio State had not lost three in a row to Michigan": the parse's roles miss the "not"
    def roles(wanted: Sequence[str]) -> set[tuple[str, int]]:
        found = set()
        for match in _WORD.finditer(sentence):
            word = match.group(0).lower().replace("’", "'").removesuffix("'s")
            if match.group(0)[:1].isupper() and (word in wanted or stem(word) in wanted):
                role = contest_role(sentence, match.start(), match.end())
                if role:
                    found.add(role)
        return found
    subject, other = roles(question.subject), roles(question.objects)
    sign = 1 if stem(question.predicate) in _WINNING else -1  # "did A lose to B"
    for side, act in subject:
        if any(o_act == act and o_side != side for o_side, o_act in other):
            return sign if side == "winner" else -sign
    return 0


def _names_subject(lowered: str, subject: tuple[str, ...]) -> bool:
    """The text names the subject: every word of it, or a two-word name's last word alone
    ("Stross" for "Charlie Stross"), as news names people after the first mention."""
    if all(word in lowered for word in subject):
        return True
    return len(subject) == 2 and len(subject[-1]) >= 4 and \
        re.search(rf"(?<![\w]){re.escape(subject[-1])}(?![\w])", lowered) is not None


# Places in a table: "top" is first and "bottom" last.
_PLACES = {"first": "first", "top": "first", "second": "second", "third": "third", "fourth": "fourth",
           "last": "last", "bottom": "last"}
_FINISHING = re.compile(r"\b(?:finish|end|place)(?:s|es|ed|ing)?\s+(?:up\s+)?(?:in\s+)?(?:the\s+)?"
                        r"(first|top|second|third|fourth|last|bottom)\b")


def _placing(sentence: str, lowered: str, question: YesNoQuestion, held: set[str]) -> int | None:
    """Asked whether the subject finished in a place, the place the sentence has it finish
    in: +1 when the same, -1 when another; None when it says no place, or not in what
    (a word of the question's own for it, with the title's: "their Champions League *group*")."""
    asked = next((_PLACES[o] for o in question.objects if o in _PLACES), None)
    if asked is None or question.predicate not in {stem(w) for w in ("finish", "end", "place")}:
        return None
    where = [o for o in question.objects if o not in _PLACES and o not in STOPWORDS]
    if where and not any(o in held for o in where):
        return None
    for found in _FINISHING.finditer(lowered):
        before = sentence[:found.start()]
        named = list(re.finditer(r"(?<!^)\b[A-Z][\w’'-]*", before))
        # The one placed is the last name before the verb ("when Chelsea finished first above United").
        if named and named[-1].group(0).lower().removesuffix("’s").removesuffix("'s") in question.subject:
            return 1 if _PLACES[found.group(1)] == asked else -1
    return None


_HAVING = frozenset(stem(w) for w in "have has include includes feature features".split())


def _says_none_of(lowered: str, objects: Sequence[str]) -> bool:
    """The sentence says there is no such thing: "no camera", "without a built-in camera"."""
    for found in re.finditer(r"\b(?:no|without(?:\s+an?)?|lacks?(?:\s+an?)?)\s+((?:[\w-]+\s+){0,2}[\w-]+)", lowered):
        if any(stem(w) in objects and w not in STOPWORDS for w in found.group(1).split()[-1:]):
            return True
    return False


def stance(sentence: str, question: YesNoQuestion, context: str = "") -> int:
    """+1 when the sentence has the subject do the predicate, -1 when it has the subject
    deny it or do its opposite, 0 when it is silent or about someone else's act."""
    lowered = sentence.lower().replace("’", "'")
    if not _names_subject(f"{context.lower()} {lowered}", question.subject):
        return 0
    settled = _contest_between(sentence, question)
    if settled:
        return settled
    same, opposite = related_stems(question.predicate) if question.predicate else (set(), set())
    phrasal = _PHRASAL_NO.search(lowered)
    if phrasal and any(o in same for o in related_stems(stem("approve"))[0]) and \
            _subject_leads(lowered, question.subject, phrasal.start()):
        return -1
    in_sentence = _stems(lowered)
    objects_here = in_sentence | _stems(context.lower())
    if (placed := _placing(sentence, lowered, question, objects_here)) is not None:
        return placed  # "did united finish second in their group?" against "United managing to finish bottom"
    if question.predicate in _HAVING and _says_none_of(lowered, question.objects):
        return -1  # "do the frames have a camera?" against "There's no camera, no screen"
    for match in _WORD.finditer(lowered):
        word_stem = _act_stem(match.group(0), same | opposite)
        if not _subject_leads(lowered, question.subject, match.start()):
            if _beaten_by_object(lowered, question, word_stem, match):
                return -1  # "Did A beat B?" against "B beat A"
            if not _passive_by_subject(lowered, match, question):
                continue
        elif not question.passive and _done_to_the_one_before(lowered, match) and \
                not _done_by_the_subject(lowered, match, question.subject):
            continue  # "did the commission sue orbel": "the commission was sued by Orbel" is the other way
        if word_stem not in same and word_stem not in opposite and not _DENIAL.fullmatch(match.group(0)):
            continue
        if match.start() and sentence[match.start():match.start() + 1].isupper():  # a slice: lower() may lengthen
            continue  # a name, not the act: "Kick" (a platform) does not start anything
        if _owned_by_another(sentence, match.start(), question.subject) or \
                _done_by_another(sentence, match.start(), question.subject):
            continue  # "Israel's blockade since Hamas' surprise attack": the attack is Hamas's
        if _KEEPS_DOING.match(lowered, match.start()):
            continue  # "the revelations keep getting juicier": goes on, keeps nothing
        if _LINKING_BEFORE.search(lowered, max(0, match.start() - 25), match.start()):
            continue  # "Canelo looks upset as the fight ends": how he seems, not an upset win
        if word_stem in same and undone_after(lowered, match.end()):
            continue  # "Diaz scored to put Liverpool 1-0 up, but the flag went up for offside": undone
        if question.predicate in _CONTEST | _LOSING and \
                (owner := win_owner(sentence, match.start(), match.end())) is not None and \
                not _names_subject(owner.lower(), question.subject):
            continue  # "the Raiders held the Jets ... in a 16-12 win": the win is the Raiders'
        if _acts_on_another_name(sentence, match.end(), question):
            continue  # "started delivering the Model Y" delivers no Cybertruck
        if _acts_on_another_thing(sentence, match, question):
            continue  # "has made good progress", after the losses: makes no loss
        if _a_tally(lowered, match, question):
            continue  # "the Aussies dominating with eight wins": games won, not the cup asked about
        if _done_to_subject(lowered, match.end(), question.subject):
            continue  # "retaliating against the attacks on its people": Israel attacked, not attacking
        # "citing rising capital costs", "the official release date": what the thing is like, not
        # an act. Only a word that may modify a noun is parsed: loading the parser imports torch,
        # which a one-off question avoids.
        if _may_modify_a_noun(sentence, match) and describes_a_noun(sentence, match.start(), match.end()):
            continue
        window = lowered[max(0, match.start() - 30):match.start()]
        if _PLEA.search(window[-20:]):
            continue  # "pleaded not guilty": a plea, not a finding
        taken_back = bool(_TAKEN_BACK.search(lowered, match.end(), match.end() + 60))  # the writer's own voice
        if not taken_back and (_reported_by_other(lowered, question.subject, match.start()) or
                               _alleged_after(lowered, question.subject, match.end())):
            continue  # "Sweeney suggests there shouldn't be a Google fee": his view, not Google's act
        clause = _clause_start(lowered, match.start())
        if not taken_back and _HYPOTHETICAL.search(lowered[clause:match.start()]):
            continue  # "Apple could sit down with Masimo", "did not need to raise": not a done act
        future = _FUTURE.search(lowered, clause, match.start())
        if question.asks_done and future and not sentence[future.start():future.start() + 1].isupper():
            continue  # "did sbf take the stand": "SBF will be taking the stand" is to come ("Will Smith" is a name)
        denial = bool(_DENIAL.fullmatch(match.group(0)))  # of a report or claim, which names no object
        agrees = word_stem in same or (denial and _asks_of_a_denial(question))
        if denial and not agrees and word_stem not in opposite and question.predicate not in _CLAIM_ACTS:
            continue  # "did varga commit fraud": "Varga denied wrongdoing" is his word, not the fact
        # The act asked about may take its objects from the title; an opposite ("a fall",
        # "cuts") is common in passing, so its sentence must name them itself. A denial that
        # answers another act ("did hyundai confirm the deal": "Hyundai rejected the claim")
        # names none; one asked about ("did google reject the ruling") must name what it rejects.
        held = objects_here if word_stem in same and word_stem not in _CONTEST | _LOSING and \
            match.group(0) not in _BARE_COMPARATIVES else in_sentence
        held = held - _said_only_as_subject(question, lowered[match.end():]) - \
            _said_only_before(question, lowered, clause, context)
        answers_another = denial and not agrees  # names no object: the claim it denies is the question's
        if not answers_another and not _holds_objects(question, same | opposite, held, every=not agrees):
            continue  # "offset a fall for Apple" says nothing of the rates asked about
        failed = failed_before(lowered, clause, match.start())  # "failed ... to become speaker"
        pleaded_not = word_stem in _PLEADING and _NOT_AFTER.match(lowered, match.end()) is not None
        negated = taken_back or failed or pleaded_not or bool(_NEGATION.search(window))
        if agrees:
            return -1 if negated else 1  # "did hyundai call the report groundless": its rejection says so
        return -1  # the opposite act, or a denial
    return 0


_NEXT_WORD = re.compile(r"\s+([a-z][\w-]*)")
_PREVIOUS_WORD = re.compile(r"(?:^|\s)([a-z][\w-]*)\s+$")


def _may_modify_a_noun(sentence: str, match: re.Match[str]) -> bool:
    """An -ing word, or a word after a lower-case word and before one that is no function word
    ("the official *release* date"), may describe a noun, not do an act. "Orbel cut jobs" and
    "Orbel denied it" are left unparsed; "the company cut jobs" is parsed."""
    if match.group(0).endswith("ing"):
        return True
    after = _NEXT_WORD.match(sentence, match.end())
    return bool(after and after.group(1) not in STOPWORDS and _PREVIOUS_WORD.search(sentence, 0, match.start()))


_DENIAL_STEMS = frozenset(stem(w) for w in "reject rejected deny denied denial dismiss dismissed refute refuted rebut "
                          "groundless baseless unfounded untrue false dispute disputed contradict".split())


# Acts of saying or granting something is so: only these does a bare denial answer ("did
# hyundai confirm the deal": "Hyundai rejected the report"). What someone denies having done is
# their claim, which the article reports and does not settle.
_CLAIM_ACTS = related_stems(stem("confirm"))[0] | related_stems(stem("accept"))[0]


def _asks_of_a_denial(question: YesNoQuestion) -> bool:
    """The question itself asks whether a claim was denied ("did X call the report groundless",
    "did X deny it"): a denial in the sentence agrees with it, it does not answer no."""
    return any(word in _DENIAL_STEMS for word in (question.predicate or "", *question.objects))


def _said_only_as_subject(question: YesNoQuestion, after_act: str) -> set[str]:
    """Objects that are the subject's own words ("is twitter still called *twitter*") and that
    the sentence does not say again after the act: "Twitter, now called X" names Twitter as
    the subject only, so it does not hold the object."""
    subject = {stem(w) for part in question.subject for w in _WORD.findall(part)}
    return {o for o in question.objects if o in subject} - _stems(after_act)


def _said_only_before(question: YesNoQuestion, lowered: str, clause: int, context: str) -> set[str]:
    """Objects the sentence names only in a clause before the act's, and the title not at all:
    "compatibility with an iPhone, though Apple released an Android app" releases no iPhone."""
    before, after = _stems(lowered[:clause]), _stems(lowered[clause:]) | _stems(context.lower())
    return {o for o in question.objects if o in before and o not in after}


_SHORT_VERB_ENDINGS = (("ing", "e"), ("ed", "e"), ("ed", ""), ("d", ""))
# Past forms the stemmer cannot bring back to the verb ("became" is not "becom").
_IRREGULAR_PAST = {
    "became": "become", "came": "come", "took": "take", "taken": "take", "gave": "give", "given": "give",
    "went": "go", "gone": "go", "ran": "run", "wrote": "write", "written": "write", "rose": "rise",
    "risen": "rise", "fell": "fall", "fallen": "fall", "grew": "grow", "grown": "grow", "knew": "know",
    "known": "know", "threw": "throw", "thrown": "throw", "drove": "drive", "driven": "drive",
    "broke": "break", "broken": "break", "spoke": "speak", "spoken": "speak", "chose": "choose",
    "chosen": "choose", "froze": "freeze", "frozen": "freeze", "stole": "steal", "stolen": "steal",
    "wore": "wear", "worn": "wear", "ate": "eat", "eaten": "eat", "saw": "see", "seen": "see", "flew": "fly",
    "flown": "fly", "drew": "draw", "drawn": "draw", "withdrew": "withdraw", "withdrawn": "withdraw",
    "sang": "sing", "sung": "sing", "began": "begin", "begun": "begin", "got": "get", "gotten": "get",
    "forgave": "forgive", "overtook": "overtake", "shook": "shake", "shaken": "shake", "swore": "swear",
    "sworn": "swear", "woke": "wake", "hid": "hide", "hidden": "hide", "rode": "ride", "ridden": "ride",
}


def _act_stem(word: str, acts: set[str] | frozenset[str]) -> str:
    """The word's stem, or for a short verb the stemmer leaves whole ("used", "sued",
    "using") the stem of the act it inflects, when that is one of ``acts``."""
    word_stem = stem(word)
    if word_stem in acts:
        return word_stem
    if word in _IRREGULAR_PAST and stem(_IRREGULAR_PAST[word]) in acts:
        return stem(_IRREGULAR_PAST[word])
    for ending, restored in _SHORT_VERB_ENDINGS:
        if word.endswith(ending) and stem(word.removesuffix(ending) + restored) in acts:
            return stem(word.removesuffix(ending) + restored)
    return word_stem


def _stems(text: str) -> set[str]:
    """The stems of a text's words but its adverbs: "finally" stems to "final", and is no final."""
    return {stem(w) for w in _WORD.findall(text) if not _ADVERB.match(w)}


# "finally", "recently", "reportedly": an adverb by its ending ("rally", "family", "italy" are none).
_ADVERB = re.compile(r"\w{3,}(?:al|ent|ant|ous|ive|ed|ful|less|ic|ate|ular|ual)ly$", re.IGNORECASE)


def _held(word_stem: str, stems: set[str]) -> bool:
    """The stem, or one that says the same, is among ``stems``."""
    return word_stem in stems or bool(related_stems(word_stem)[0] & stems)


def _holds_objects(question: YesNoQuestion, act_stems: set[str] | frozenset[str], held_stems: set[str],
                   every: bool = False) -> bool:
    """Half the question's objects at least (``every``: all of them, for an opposite act, which
    news says in passing: an iPad's price drop is no answer about iPhone prices), and every
    number and ordinal among them, are in the sentence: "finish *second* in the group" is not
    "finishing bottom of the group", and a fall in Apple's shares is not a cut in rates."""
    wanted = [o for o in question.objects if o not in act_stems]
    held = [o for o in wanted if _held(o, held_stems)]
    exact = [o for o in wanted if o[:1].isdigit() or o in _ORDINALS | _MONTHS]  # "second", "15": the claim itself
    # The half is of the objects but months: a month said is no sign the rates asked about are.
    plain = [o for o in wanted if o not in _MONTHS]
    plain_held = [o for o in plain if o in held]
    return not wanted or (len(plain_held) >= (len(plain) if every else len(plain) / 2)
                          and all(o in held for o in exact))


_CONTRAST = re.compile(r"\b(?:no|not|never|without|none|nor|differ\w*|different|same|unlike|contrary|rather than)\b|"
                       r"n['’]t\b", re.IGNORECASE)


def is_yes_no(question: str) -> bool:
    return parse_yes_no(question) is not None


def decide_by_support(question: str, claim_support: Sequence[float], threshold: float) -> str | None:
    """For a question that strings several claims together ("Does A report X, while B
    reports Y?"): "yes" when every claim has a closely matching evidence sentence from its
    source. Negations and contrasts ("no change", "differ", "the same") need understanding
    that matching cannot give, so they get no verdict."""
    if not claim_support or not is_yes_no(question) or _CONTRAST.search(question):
        return None
    return "yes" if min(claim_support) >= threshold else None


_ORDER_BEFORE_OUTLET = re.compile(
    r"\b(before|after|earlier than|later than|prior to)\W*(?:the\W+)?$", re.IGNORECASE)


def order_between(question: str, first_end: int, second_start: int) -> str | None:
    """"before" or "after" when the question sets one source's report against another's
    in time ("reported by A before B", "did A report X after B reported Y"): the order word
    must lead straight into the second source. "before October 1" dates a report instead,
    and is left alone."""
    match = _ORDER_BEFORE_OUTLET.search(question[first_end:second_start])
    if not match:
        return None
    return "before" if match.group(1).lower() in ("before", "earlier than", "prior to") else "after"


def decide_by_order(relation: str, first: date | None, second: date | None) -> str | None:
    """Publication dates settle "did A report it before/after B?"; the same day settles nothing."""
    if first is None or second is None or first == second:
        return None
    holds = first < second if relation == "before" else first > second
    return "yes" if holds else "no"


def decide_verdict(question: str, evidence: Sequence[EvidenceSentence], min_relevance: float = 0.0,
                   min_margin: int = 1, names: Sequence[str] = ()) -> Verdict:
    """Stance reading over the evidence, for any yes/no question whatever its length:
    agreement decides, disagreement or silence gives no verdict."""
    parsed = parse_yes_no(question, names)
    if parsed is None or parsed.predicate is None:
        return Verdict(None, None, tuple(0 for _ in evidence))
    stances = tuple(stance(e.text, parsed, e.context) if e.relevance >= min_relevance else 0 for e in evidence)
    balance = sum(stances)
    if abs(balance) < min_margin or (balance > 0 and -1 in stances):
        return Verdict(None, None, stances)
    sign = 1 if balance > 0 else -1
    value = "yes" if (sign > 0) != parsed.negated else "no"
    deciding = max((i for i, s in enumerate(stances) if s == sign), key=lambda i: evidence[i].relevance)
    return Verdict(value, deciding, stances)
