"""Who did what: whether a name in a sentence takes part in the act asked about.

Usage::

    from bot.engine.syntax import takes_part
    text = "Liverpool legend Jamie Carragher described the Ballon d'Or winner's switch."
    takes_part(text, text.index("Jamie"), text.index(" described"), "won")   # False: he described it
    text = "The Ballon d'Or was won by Lionel Messi."
    takes_part(text, text.index("Lionel"), len(text) - 1, "won")              # True

A name of the right type in a sentence that says the act is not yet its doer: "Carragher
described the winner's switch" names a winner, and Carragher is not it. spaCy's parser
(the small English model's tagger and parser, no NER) links the name to the act: the name
counts when it is at most three dependency arcs from a verb that says the act, or two
from a noun, with no other verb between ("Messi won", "won by Messi", "Sinner, who beat",
"Messi is the winner"). Conjuncts, appositions and compounds share their neighbour's
place ("founder and figurehead of Web Summit, Paddy Cosgrave"). Only the few sentences a
short answer is taken from are parsed, each once.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from functools import cache, lru_cache

from bot.engine.lexicon import related_stems
from bot.engine.question import is_role
from index.companies.extractor import SPACY_MODEL
from index.text import stem

MAX_ARCS = 3       # from a verb: "founded in 2019 by engineer Tomas Varga"
MAX_NOUN_ARCS = 2  # from a noun: "Messi is the winner", not "the winner's move to Harrow"


@cache
def load_parser():  # type: ignore[no-untyped-def]
    import spacy  # imported on first use: the CLI's other questions need no parser

    return spacy.load(SPACY_MODEL, exclude=["ner", "lemmatizer", "attribute_ruler", "senter"])


_PARSING = threading.Lock()  # the bot answers on worker threads; one spaCy pipeline parses at a time


@lru_cache(maxsize=512)
def _parse(text: str):  # type: ignore[no-untyped-def]
    parser = load_parser()
    with _PARSING:
        return parser(text)


def _parsed_span(text: str, start: int, end: int):  # type: ignore[no-untyped-def]
    """The parse of ``text`` and its span over ``text[start:end]`` (None when no tokens align)."""
    doc = _parse(text)
    return doc, doc.char_span(start, end, alignment_mode="expand")


# Arcs that join words standing for one party: conjuncts and appositions share a role
# ("founder and figurehead of Web Summit, Paddy Cosgrave"), compounds make one name, and
# an auxiliary is part of its verb ("Jubelirer was named").
_FREE_ARCS = frozenset({"conj", "cc", "appos", "compound", "flat", "punct", "aux", "auxpass"})


# Verbs that give a role rather than do another act ("was named chair", "became CEO").
_ROLE_VERBS = frozenset("be is was are were been being name names naming named appointed promoted elected made became "
                        "become becomes serves served serving remains remained hired chosen installed tapped".split())


def _links(name, act) -> bool:  # type: ignore[no-untyped-def]
    """The name is the act's argument: few arcs between them (conjuncts, appositions,
    compounds and auxiliaries free), and no other verb on the way ("Carragher *described*
    the winner's switch")."""
    up_name, up_act = [name, *name.ancestors], [act, *act.ancestors]
    common = {t.i for t in up_name} & {t.i for t in up_act}
    if not common:
        return False
    below = [t for t in up_name if t.i not in common] + [t for t in up_act if t.i not in common]
    meet = next(t for t in up_name if t.i in common)
    cost = sum(t.dep_ not in _FREE_ARCS for t in below)  # each token's arc to its head
    between = [t for t in [*below, meet] if t.i not in (name.i, act.i)]
    other_verb = any(t.tag_.startswith("VB") and t.text.lower() not in _ROLE_VERBS for t in between)
    # A verb that gives a role hands its noun to the subject ("Roe was promoted to CEO").
    noun_act = act.tag_.startswith("NN") and meet.text.lower() not in _ROLE_VERBS
    return cost <= (MAX_NOUN_ARCS if noun_act else MAX_ARCS) and not other_verb


def _says_act(word: str, predicate: str) -> bool:
    """One word says the act: its stem or a synonym's, or seven letters in common
    ("headliner", "headlining"); not five ("Foundation" is no "founded")."""
    same, _ = related_stems(stem(predicate))
    root = stem(word)
    return root in same or stem(root) in same or (len(root) >= 7 and any(root[:7] == w[:7] for w in same))


def _acts(doc, predicate: str) -> list:  # type: ignore[no-untyped-def]
    """The words of a parsed sentence that say the act. A proper noun is a name, not the act
    ("Wikimedia Foundation" says no founding), unless it is a role heading its own phrase
    ("named Chair & CEO"; "Quora CEO Adam" is a compound of the name); an adjective describes
    ("presidential Executive Orders" are no president)."""
    role = is_role(predicate)
    return [t for t in doc if _says_act(t.text, predicate) and t.tag_ not in ("JJ", "JJR", "JJS") and
            (t.tag_ not in ("NNP", "NNPS") or (role and t.dep_ != "compound")) and not _names_other_role(t, predicate)]


def _names_other_role(token, predicate: str) -> bool:  # type: ignore[no-untyped-def]
    """The word qualifies another noun and so names another role: "head coach", "chief
    scientist", "lead singer" (but "chief executive officer" is the chief executive)."""
    head = token.head
    return token.dep_ in ("compound", "amod") and head.i != token.i and head.tag_ in ("NN", "NNS") and \
        head.text.lower() != "officer" and not _says_act(head.text, predicate)


def takes_part(text: str, start: int, end: int, predicate: str, *, unsure: bool = True) -> bool:
    """Whether ``text[start:end]`` (offsets within ``text``) is linked to a word of ``text``
    that says ``predicate``; ``unsure`` when the parse cannot tell (no such word, no span,
    or the act said inside the name)."""
    doc, span = _parsed_span(text, start, end)
    acts = _acts(doc, predicate)
    if span is None or not acts:
        return unsure
    inside = {t.i for t in span}
    if any(t.i in inside for t in acts):
        return unsure  # "Ballon d'Or winner Messi" tagged as one name
    return any(_links(span.root, act) for act in acts)


def is_acted_on(text: str, start: int, end: int, predicate: str, *, directly: bool = False) -> bool:
    """Whether ``text[start:end]`` is what a verb saying ``predicate`` was done to: its object
    ("they played the Jets"), its passive subject ("the Jets were played"), or the object of
    its "against", "with" or "to" ("played against the Jets"). "Mahomes with a heads-up play"
    does no playing to Mahomes. ``directly``: its object or passive subject only ("partnering
    with BAIC" makes BAIC a partner, not one acted on). False when no verb says the act."""
    doc, span = _parsed_span(text, start, end)
    if span is None:
        return False
    token = span.root
    while token.dep_ in ("conj", "appos", "compound") and token.head is not token:
        token = token.head
    verbs = {t.i for t in _acts(doc, predicate) if t.tag_.startswith("VB")}
    if token.dep_ in ("dobj", "nsubjpass"):
        return token.head.i in verbs
    return not directly and token.dep_ == "pobj" and token.head.lower_ in _OBJECT_PREPOSITIONS and \
        token.head.head.i in verbs


_OBJECT_PREPOSITIONS = frozenset({"against", "with", "to", "versus", "vs", "vs."})


def within_object_of_act(text: str, start: int, end: int, predicate: str) -> bool:
    """Whether ``text[start:end]`` lies inside the object phrase of a verb saying ``predicate``
    ("appointed Emmett Shear, the co-founder of Twitch": Twitch), not across a verb of its own."""
    doc, span = _parsed_span(text, start, end)
    if span is None:
        return False
    verbs = {t.i for t in _acts(doc, predicate) if t.tag_.startswith("VB")}
    token = span.root
    while token.head != token and not token.tag_.startswith("VB"):
        if token.dep_ in ("dobj", "nsubjpass") and token.head.i in verbs:
            return True
        token = token.head
    return False


def doer_of_act_on(text: str, start: int, end: int, predicate: str) -> str | None:
    """The subject of the verb saying ``predicate`` whose object is ``text[start:end]``, through
    the verbs it completes ("people can choose to buy an iPhone": "people"); None when the word
    is no such object or the parse names no subject."""
    doc, span = _parsed_span(text, start, end)
    if span is None or span.root.dep_ != "dobj" or span.root.head.i not in {t.i for t in _acts(doc, predicate)}:
        return None
    verb = span.root.head
    while True:
        subject = next((c for c in verb.children if c.dep_ in ("nsubj", "nsubjpass")), None)
        if subject is not None:
            return doc[subject.left_edge.i:subject.right_edge.i + 1].text
        if verb.dep_ not in ("xcomp", "conj", "advcl") or verb.head == verb:
            return None
        verb = verb.head


def describes_a_noun(text: str, start: int, end: int) -> bool:
    """Whether the word ``text[start:end]`` is an adjective of a noun ("rising capital costs",
    "the growing demand") or the first noun of a compound ("the official release date"): it
    says what the thing is like, not an act anyone did."""
    doc, span = _parsed_span(text, start, end)
    if span is None:
        return False
    word = span.root
    # The small model makes "the central bank cut rates" one noun too: a compound counts only
    # after a determiner or adjective, where no noun before it can be the doer.
    return word.dep_ == "amod" or (word.dep_ == "compound" and word.i > 0 and doc[word.i - 1].tag_ in _NOUN_OPENERS)


_NOUN_OPENERS = frozenset({"DT", "JJ", "JJR", "JJS", "PRP$", "CD"})


def modifies_a_noun(text: str, start: int, end: int) -> bool:
    """Whether the word ``text[start:end]`` qualifies the noun after it, whatever comes before:
    "his team's four-game *win* streak" is a streak, not a win of anything asked."""
    _, span = _parsed_span(text, start, end)
    return span is not None and span.root.dep_ in ("compound", "amod") and span.root.head.i > span.root.i


_PRONOUN_OBJECTS = frozenset("that which it them this these those what who whom".split())
# "IAC sold the brand", after naming CollegeHumor: a definite object may be the thing asked.
_REFERS_BACK = re.compile(r"^(?:the|this|that|these|those|its|their|his|her)\s", re.IGNORECASE)


def takes_another_object(text: str, start: int, end: int, holds: Callable[[str], bool],
                         deps: frozenset[str] = frozenset({"dobj"})) -> bool:
    """Whether the verb ``text[start:end]`` takes an object of its own (an arc of ``deps``)
    that ``holds`` finds nothing asked in: "the company has *made* good progress" makes no
    loss. A pronoun or a definite phrase may stand for the thing asked, so it is no other."""
    doc, span = _parsed_span(text, start, end)
    if span is None or not span.root.tag_.startswith("VB"):
        return False
    objects = [doc[c.left_edge.i:c.right_edge.i + 1].text for c in span.root.children if c.dep_ in deps]
    objects = [o for o in objects if o.lower() not in _PRONOUN_OBJECTS and not _REFERS_BACK.match(o)]
    return bool(objects) and not any(holds(o) for o in objects)


def dates_an_act_to_come(text: str, start: int, end: int, predicate: str, *, asked_done: bool) -> bool:
    """Whether the date ``text[start:end]`` dates the act only as yet to come, so it is not
    when the act was done: it belongs to another verb under which the act is to come ("was
    informed on Thursday night that Altman would be fired" dates the telling; "said on
    Friday it had fired him" still dates it), or, asked when it was done (``asked_done``),
    to the act itself said to come ("in talks to return as soon as this week")."""
    doc, span = _parsed_span(text, start, end)
    if span is None:
        return False
    verb = span.root
    while verb.dep_ not in _CLAUSE_HEADS and verb.head is not verb:
        verb = verb.head
    for act in _acts(doc, predicate):
        if not act.tag_.startswith("VB") or not any(c.dep_ == "aux" and c.lower_ in _TO_COME for c in act.children):
            continue
        if (act.i != verb.i and verb in act.ancestors) or (asked_done and act.i == verb.i):
            return True
    return False


_CLAUSE_HEADS = frozenset({"ROOT", "ccomp", "advcl", "xcomp", "relcl", "conj", "acl", "pcomp"})
_TO_COME = frozenset({"would", "will", "'ll", "could", "might", "may", "shall", "to"})


def objects_of_act(text: str, predicate: str) -> list[str]:
    """The direct objects of the verbs in ``text`` that say ``predicate``, each as the words
    of its phrase ("Getty Images sued Stability AI": ["Stability AI"])."""
    doc = _parse(text)
    found = []
    for verb in _acts(doc, predicate):
        if verb.tag_.startswith("VB"):
            found += [doc[c.left_edge.i:c.right_edge.i + 1].text for c in verb.children if c.dep_ == "dobj"]
    return found


def act_concerns(text: str, predicate: str, terms: list[tuple[int, int]]) -> bool:
    """Whether a word of ``text`` saying ``predicate`` is linked, as :func:`takes_part`
    links a name, to one of the ``terms`` (offsets of the question's other words): "Sinner,
    who beat Djokovic", in a sentence about the final ahead, wins no final. True when no
    word says the act or no term is given."""
    return not terms or not _acts(_parse(text), predicate) or \
        any(takes_part(text, start, end, predicate, unsure=False) for start, end in terms)


# Verbs whose object is the side beaten (unlike "win", whose object is the prize), verbs and
# nouns of losing, and nouns of winning: the lexicon's win and lose groups, split by the role
# their arguments play.
_BEATING = frozenset(stem(w) for w in "beat beats beaten beating defeat defeated defeating defeats overcame overcome "
                     "edged routed thrashed eliminated knocked upset toppled stunned downed".split())
_LOSING = frozenset(stem(w) for w in "lose loses lost losing loss losses fell".split())
_WINNING_NOUNS = frozenset(stem(w) for w in "win wins victory victories triumph".split())
# Verbs whose object is what was won ("to win the IBF and Ring belts"), not a side.
_WINNING_PRIZES = frozenset(stem(w) for w in "win wins won winning clinch clinched claim claimed retain retained "
                            "secure secured lift lifted".split())


def contest_side(text: str, start: int, end: int) -> str | None:
    """Which side of a contest the parse puts ``text[start:end]`` on: "loser" for the one
    beaten ("defeating the West Indies", "defeats of Scotland", "a win over Fiji", "Fiji were
    beaten"), "winner" for the one lost to ("lost against Sinner", "a loss to Ireland",
    "beaten by Ireland") and the one who won ("Orbel won the cup"), "prize" for what was won or lost
    ("to win the IBF belt", "losing guard Kell to injury"), "negated" for a side of an act said
    not to happen; None when it says neither."""
    role = contest_role(text, start, end)
    return role[0] if role else None


def contest_role(text: str, start: int, end: int) -> tuple[str, int] | None:
    """:func:`contest_side` with the act's token index, so two names can be read against
    one act ("Parker's victory over Wilder"): the doer of a win ("Parker stunned Wilder",
    "Parker's victory") is the winner too. A negated act ("did not win", "the team that has
    never won") puts no one on its side: "negated"."""
    _, span = _parsed_span(text, start, end)
    if span is None:
        return None
    token = span.root
    while token.dep_ in ("conj", "appos", "compound", "nmod") and token.head is not token:
        if token.dep_ == "compound" and (token.head.lower_ in _PRIZE_NOUNS or
                                         stem(token.head.lower_) in _WINNING_NOUNS):
            return "prize", token.head.i  # "the FA Cup trophy", "an Orbel Open victory": what is won, not who
        token = token.head  # "Scotland, Romania and Tonga" share the first one's place, "IBF" its belt's
    head = token.head
    role = _side_by_act(token.dep_, head)
    clause = next((c for c in token.children if c.dep_ == "relcl" and any(
        g.dep_ == "nsubj" and g.lower_ in _RELATIVE_SUBJECTS for g in c.children)), None)
    if role is None and clause is not None:  # "the team that won": the team is the clause's subject
        head, role = clause, _side_by_act("nsubj", clause)
    if role and any(c.dep_ == "neg" for c in head.children):
        return "negated", head.i
    return role or _side_by_preposition(token)


_RELATIVE_SUBJECTS = frozenset({"that", "who", "which"})
_PRIZE_NOUNS = frozenset("title titles trophy trophies crown crowns belt belts medal medals championship "
                         "championships prize prizes award awards pennant cup".split())


def _side_by_act(dep: str, head) -> tuple[str, int] | None:
    act = stem(head.text.lower())
    if dep in ("dobj", "nsubjpass") and act in _BEATING:
        return "loser", head.i
    won_by = dep in ("nsubj", "nsubjpass") and any(c.dep_ == "agent" for c in head.children)
    if (dep == "dobj" or won_by) and act in _WINNING_PRIZES:
        return "prize", head.i  # "to win the IBF belt", "the final won by Australia"
    if dep == "nsubj" and act in _LOSING:
        return "loser", head.i
    if dep == "dobj" and act in _LOSING:
        return "prize", head.i  # "after losing guard Dana Kell to injury": what is lost, not a side
    if (dep == "nsubj" and act in _BEATING | _WINNING_PRIZES) or (dep == "poss" and act in _WINNING_NOUNS):
        return "winner", head.i
    return None


def win_owner(text: str, start: int, end: int) -> str | None:
    """Who the win named by ``text[start:end]`` belongs to, when the parse says: its owner
    ("the Jets' win"), its "for" ("the win for the Raiders"), or the subject of the verb it is
    reached by ("the Raiders held the Jets ... in a 16-12 win", "Detroit rolled to a victory",
    "Kansas City did not give the ball back to earn the win").
    None when the word is no winning noun so placed."""
    _, span = _parsed_span(text, start, end)
    if span is None or stem(span.root.lower_) not in _WINNING_NOUNS:
        return None
    token = span.root
    for child in token.children:
        if child.dep_ == "poss" or (child.dep_ == "prep" and child.lower_ == "for"):
            owner = child if child.dep_ == "poss" else next((g for g in child.children if g.dep_ == "pobj"), None)
            return _phrase_to(owner) if owner is not None else None
    if token.dep_ == "dobj":
        verb = token.head  # "as Kansas City did not give the ball back to earn the win"
    elif token.dep_ == "pobj" and token.head.head is not token.head:
        verb = token.head.head
    else:
        return None
    while not any(c.dep_ in ("nsubj", "nsubjpass") for c in verb.children):
        if verb.dep_ not in ("conj", "advcl", "xcomp") or verb.head is verb:
            return None
        verb = verb.head
    return _phrase_to(next(c for c in verb.children if c.dep_ in ("nsubj", "nsubjpass")))


def _phrase_to(token) -> str:  # type: ignore[no-untyped-def]
    """The noun phrase up to its head: "a crucial turnover", not "... from Jets QB Zach Wilson"."""
    return " ".join(w.text for w in token.subtree if w.i <= token.i)


def _side_by_preposition(token) -> tuple[str, int] | None:
    """"a win over Fiji", "defeats of Scotland": the one beaten; "lost to Sinner", "beaten by
    Ireland", "won by Australia": the winner; "the final of the Cup won by ...": the prize."""
    head = token.head
    if token.dep_ != "pobj":
        return None
    governor, preposition = head.head, head.text.lower()
    said = stem(governor.text.lower())
    if (preposition == "over" and said in _WINNING_NOUNS | _BEATING) or (preposition == "of" and said in _BEATING):
        return "loser", governor.i
    if (preposition in ("to", "against") and said in _LOSING | _BEATING) or (
            preposition == "by" and said in _BEATING | _WINNING_PRIZES):
        return "winner", governor.i
    if preposition == "of" and (act := _won_thing(governor)) is not None:  # "the final of the Cup won by Kestrel"
        return "prize", act
    return None


def _won_thing(token) -> int | None:
    """The act's index when ``token`` is what was won: a win's object, or a noun that a "won by"
    phrase describes ("the final won by Kestrel")."""
    role = _side_by_act(token.dep_, token.head) if token.head is not token else None
    if role and role[0] == "prize":
        return role[1]
    return next((c.i for c in token.children if c.dep_ == "acl" and stem(c.lower_) in _WINNING_PRIZES
                 and any(g.dep_ == "agent" for g in c.children)), None)
