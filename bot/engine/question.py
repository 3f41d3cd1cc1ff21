"""What a member's question asks: the question without its chatter, and the answer type.

Usage::

    from bot.engine.question import read_question
    q = read_question("<@1234> hey bot, quick q: who runs xiaomi?")
    q.text            # "who runs xiaomi?"
    q.answer_type     # "person"

Members greet the bot, mention it, apologise and ask in four words; none of that is the
question. The answer type is the coarse class of the thing asked for (Li & Roth's idea):
person, organization, place, money, number, percent, date, product, yes_no or open. It is
read from the question word and the noun after it ("which *carmaker*" → organization), or,
in a fragment with no question word, from a head noun ("xiaomi ceo?" → person).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.engine.lexicon import is_known_act
from index.text import STOP_WORDS, stem

_MENTION = re.compile(r"<(?:@[!&]?|#)\d+>|@(?:everyone|here)\b")
# The bot's name typed as a handle where Discord would make a mention ("@newsbot hi! ..."). Only
# one that opens the question: a handle further on may be what is asked about ("what did @orbel post").
_HANDLE = re.compile(r"^@[\w.-]+(?=[\s,:;!.?]|$)")
# Openers that carry no content: greetings, the bot's name, apologies, "quick question".
_CHATTER = re.compile(
    r"^(?:(?:hey|hi|hii+|hello|helo|yo|hiya|howdy|heya|sup|greetings|good\s+(?:morning|afternoon|evening)|"
    r"ok(?:ay)?|so|um+|uh+|erm|well|hmm+|also|btw|pls|plz|please|oh|ah|and|wait|lol|lmao|omg|wow|bruh|dude|"
    r"ngl|tbh|just\s+curious|"
    r"(?:quick|random|dumb|stupid|silly|noob|simple|small|one|another|a)\s+(?:q|qq|question|one)|"
    r"q|question|real\s+quick|quickly|sorry\s+to\s+(?:bug|bother|interrupt|ask)(?:\s+(?:you|u|y'?all|again))?(?:\s*,?\s*but)?|"
    r"sorry(?:\s+if\s+(?:this\s+is\s+)?(?:a\s+)?(?:dumb|stupid|silly|noob|basic|"
    r"obvious)(?:\s+(?:q|question))?)?(?:\s+but)?|"
    r"bot|newsbot|news\s*bot|guys|all|everyone|folks|team|friends|mate|fam|y'?all|people)\b[\s,:;!.\-–—]*)+",
    re.IGNORECASE,
)
# Polite frames around the real question: "can you tell me who ...", "do you know if ...".
_FRAME = re.compile(
    r"^(?:(?:can|could|would)\s+(?:you|u|someone|anyone)\s+(?:please\s+)?(?:tell|show|remind)\s+(?:me|us)|"
    r"(?:do|does)\s+(?:you|u|anyone|anybody|someone)\s+know|any\s*(?:one|body)\s+know|"
    r"(?:i\s+was\s+|i'?m\s+|just\s+)?wondering|i\s+wonder|i\s+(?:want|wanted|need)\s+to\s+know|"
    r"i'?d\s+like\s+to\s+know|tell\s+me|any\s+idea|any\s+news\s+on|what\s+do\s+(?:you|we)\s+know\s+about)"
    r"[\s,:]*",
    re.IGNORECASE,
)
_WHETHER = re.compile(r"^(?:if|whether)\s+", re.IGNORECASE)
_TRAILER = re.compile(r"(?:[\s,.!]+(?:thanks|thank\s+you|thx|ty|pls|plz|please|lol|lmao|haha|cheers)\b)+[\s.!?]*$",
                      re.IGNORECASE)

YES_NO_OPENERS = frozenset(
    "is are was were am do does did has have had can could will would should shall may might must isn't aren't "
    "wasn't weren't doesn't don't didn't hasn't haven't hadn't can't couldn't won't wouldn't shouldn't".split())

ANSWER_TYPES = ("person", "organization", "place", "money", "number", "percent", "date", "product", "score",
                "yes_no", "open")

_ROLE = (r"ceo|chief(?:\s+\w+)?|founder|co-?founder|boss|head|chair(?:man|woman|person)?|president|director|"
         r"manager|coach|owner|leader|spokes(?:person|man|woman)|economist|analyst|author|writer|reporter|"
         r"journalist|player|striker|goalkeeper|quarterback|pitcher|captain|star|singer|actor|actress|artist|"
         r"person|man|woman|guy|individual|executive|exec|official|minister|senator|governor|mayor|judge|"
         r"lawyer|attorney|scientist|researcher|professor|engineer|developer|designer|investor|"
         r"winner|candidate|nominee|cricketer|athlete|driver|rapper|host|presenter|chancellor|secretary|"
         r"prime\s+minister|scorer|hero|villain|victim|suspect|defendant|plaintiff|buyer|seller|commissioner|"
         r"cto|cfo|coo|vp|partner|wife|husband|son|daughter|sons|daughters|boys|girls|kids|children|brother|sister|"
         r"father|mother|dad|mom|mum|girlfriend|boyfriend|fiancee?|real\s+name|full\s+name|nickname")
_ORG = (r"company|companies|firm|business|carmaker|automaker|car\s*maker|maker|manufacturer|team|club|side|brand|"
        r"start-?up|bank|exchange|network|agency|outlet|publisher|publication|newspaper|studio|organi[sz]ation|"
        r"group|airline|retailer|party|university|college|school|court|regulator|government|giant|rival|"
        r"partner|lender|insurer|fund|supplier|provider|operator|platform|developer|label|broadcaster|"
        r"league|union|charity|country|nation|band|partners|sponsor|sponsors|buyer|owner|employer|"
        r"firms|teams|brands|banks|clubs|startups")
_PLACE = r"country|city|state|town|region|place|venue|stadium|arena|location|county|province|area|island|site"
_PRODUCT = (r"phone|smartphone|model|game|film|movie|show|series|book|novel|product|app|device|car|vehicle|ev|"
            r"chip|processor|album|song|track|console|feature|service|tool|gadget|laptop|tablet|watch|camera|"
            r"drug|vaccine|award|title|episode|version|update|software|system|robot|rocket|satellite|toy|"
            r"plan|deal|bill|law|policy|program(?:me)?|project|initiative|technology|headset")
_MONEY_WORDS = (r"cost|costs|price|priced|prices|pay|paid|pays|worth|spend|spent|raise|raised|charge|charged|"
                r"fine|fined|earn|earned|earns|salary|wage|revenue|revenues|sales|sell\s+for|sold\s+for|fund|"
                r"funding|valuation|valued|budget|fee|fees|ticket|tickets|profit|profits|loss|losses|income|"
                r"bid|offer|deal|settle|settlement|compensation|bonus|payout|investment|invest|invested|"
                r"bill|tax|debt|cash|money|dollars?|bucks|market\s+cap")
_NOT_MONEY_AFTER_HOW_MUCH = (r"time|longer|weight|data|storage|memory|ram|power|energy|space|water|rain|snow|"
                             r"bigger|faster|higher|taller|heavier|more\s+(?:time|space|power)")
CHANGE_WORDS = r"drop|dropped|fall|fell|rise|rose|grow|grew|increase|increased|decrease|decreased|jump|jumped|" \
                r"climb|climbed|slide|slid|decline|declined|gain|gained|surge|surged|shrink|shrank|cut"

_RE = {
    "score": re.compile(r"\b(?:what|which)(?:'s|\s+was|\s+is)?\s+(?:the\s+)?(?:final\s+|full-time\s+)?"
                        r"(?:score|scoreline|result)\b|\bfinal\s+score\b|\bscore\s*\??$", re.I),
    # "whats the percentage of kids ... at school": the share, not the school at the end
    "percent": re.compile(r"\b(?:what|which)(?:'s|\s+is|\s+was|\s+are|\s+were)?\s+(?:the\s+)?(?:\w+\s+)?"
                          r"(?:percent(?:age)?|share(?!\s+price)|proportion|fraction|margin|rate|growth|stake)\b|"
                          r"\bby\s+what\s+(?:percent(?:age)?|margin)\b|\bhow\s+many\s+percent\b|"
                          r"\b(?:percent(?:age)?|rate|share)\s*\??$", re.I),
    "date": re.compile(r"^(?:when|since\s+when|until\s+when)\b|\b(?:what|which)\s+(?:date|day|year|month|time|"
                       r"week|season|quarter)\b|\b(?:release|launch|start|end|due|air|premiere|expiry)\s+date\b|"
                       r"\b(?:what|which)\s+(?:decade|century)\b|\bwhen\s*\??$|\bhow\s+long\s+ago\b", re.I),
    "place": re.compile(rf"^where\b|\b(?:which|what|in\s+what|in\s+which)\s+(?:\w+\s+)?(?:{_PLACE})\b|"
                        r"\bwhere\s*\??$", re.I),
    "number": re.compile(r"^how\s+(?:many|thick|tall|long|big|large|far|fast|heavy|old|deep|wide|high|hot|cold|"
                         r"often|small|strong|powerful|loud|bright)\b|\bhow\s+many\b|\bnumber\s+of\b|"
                         r"\b(?:what|which)\s+(?:\w+\s+)?(?:number|size|rank|ranking|age|capacity|count|amount\s+of\s+"
                         r"(?!money))\b|\b(?:size|amount|number|count|total|tally|length|capacity|population)"
                         r"\s*\??$|^what\s+did\s+(?:[\w'’.-]+\s+){1,6}score\b|"
                         r"\b(?:what|which)\s+(?:\w+\s+)?sentence\b", re.I),
    "money": re.compile(rf"\bhow\s+much\b(?!\s+(?:{_NOT_MONEY_AFTER_HOW_MUCH})\b)|"
                        rf"\b(?:what|which)(?:'s|\s+is|\s+was|\s+were|\s+are)?\s+(?:the\s+)?(?:[\w'’-]+\s+){{0,4}}"
                        rf"(?:price|cost|salary|wage|wages|revenue|valuation|fee|budget|fine|profit|worth|sales)\b|"
                        # "what did the movie make on its opening weekend": takings, not a product
                        r"^what\s+(?:did|does|will|has|have)\s+(?:[\w'’.-]+\s+){1,6}(?:earn|gross|take\s+in|bring\s+in|"
                        r"make(?=\s+(?:on|at|in|during|over|last|this|from)\s+(?:its\s+|the\s+|their\s+)?"
                        r"(?:opening|debut|first|box|weekend|revenue|sales|quarter|year|auction)))\b",
                        re.I),
    # A fragment with no question word: "nio q3 revenue?", "price of the x2?".
    "money_fragment": re.compile(r"\b(?:price|cost|salary|revenue|revenues|valuation|fee|fees|profit|earnings)\b",
                                 re.I),
    "person": re.compile(rf"^(?:who|whom|whose)\b|\b(?:which|what)\s+(?:\w+\s+)?(?:{_ROLE})s?\b|"
                         rf"\bname\s+of\s+(?:the\s+|their\s+|its\s+|his\s+|her\s+)?(?:[\w'’-]+\s+){{0,3}}(?:{_ROLE})\b|"
                         rf"\b(?:who|whom)\b|\b(?:{_ROLE})s?(?:\s+name)?(?:\s+(?:right\s+)?now|\s+currently|\s+today|"
                         rf"\s+these\s+days)?\s*\??$|\b(?:{_ROLE})s?\s+(?:called|named)\s*\??$", re.I),
    "organization": re.compile(rf"\b(?:which|what)\s+(?:[\w-]+\s+){{0,3}}(?:{_ORG})\b|"
                               rf"\bname\s+of\s+(?:[\w'’-]+\s+){{0,4}}(?:{_ORG})\b|"
                               rf"\b(?:{_ORG})\s*\??$|\b(?:{_ORG})\s+(?:called|named)\s*\??$", re.I),
    "product": re.compile(rf"\b(?:which|what)\s+(?:[\w-]+\s+){{0,2}}(?:{_PRODUCT})s?\b|"
                          rf"\bname\s+of\s+(?:[\w'’-]+\s+){{0,4}}(?:{_PRODUCT})\b|"
                          rf"\b(?:{_PRODUCT})s?\s+(?:called|named)\s*\??$|"
                          r"^what(?:'s|s|\s+is|\s+are|\s+was|\s+were)\s+(?:[\w'’-]+\s+){1,6}(?:called|named)\s*\??$",
                          re.I),
}

_PERSON_ACTS = re.compile(
    r"\b(?:run|runs|ran|chair|chairs|chaired|found|founded|co-?founded|coach|"
    r"coaches|coached|direct|directs|directed|play|plays|played|star|stars|starred|sing|sings|sang|wrote|write|"
    r"writes|said|says|told|replace|replaced|replaces|score|scored|scores|married|cross-examined|testified|"
    r"interviewed|elected|appointed|hired|fired|resigned|quit|killed|died|born|dating|dated|dates|marry|marrying|"
    r"engaged|divorced|divorcing)\b")
# Typed without the apostrophe: "whats the price", "whos running it".
_INFORMAL_WH = re.compile(r"\b(what|who|where|when|how)s\b")


def with_apostrophes(text: str) -> str:
    """Reads "whos" as "who's": a question word typed without its apostrophe is still one."""
    return _INFORMAL_WH.sub(lambda m: m.group(1) + "'s", text)


# Chat shorthand, typed in lower case ("PPL" in capitals may be a company's name).
_SHORTHAND = {"ppl": "people", "u": "you", "r": "are", "ur": "your", "abt": "about", "bc": "because",
              "cuz": "because", "b4": "before", "rn": "right now", "govt": "government", "yr": "year",
              "yrs": "years", "mil": "million", "bil": "billion", "tmrw": "tomorrow", "w/": "with", "pls": "please",
              "plz": "please", "wat": "what", "wut": "what", "thru": "through", "tho": "though"}
# Not inside a word, a compound or an abbreviation: "r&d", "u-turn", "u.s." stay as typed.
_SHORTHAND_WORD = re.compile(r"(?<![\w'’/&-])(?:" + "|".join(map(re.escape, sorted(_SHORTHAND, key=len, reverse=True)))
                             + r")(?![\w'’&-]|\.\w)")


def spelled_out(text: str) -> str:
    """Reads "how many ppl did u lay off" as "how many people did you lay off"."""
    return _SHORTHAND_WORD.sub(lambda m: _SHORTHAND[m.group(0)], text)


_WH_OPENERS = frozenset("who whom whose what what's whats which when where why how".split())


@dataclass(frozen=True)
class Question:
    """A member's question, read."""

    original: str
    text: str                # without mentions, greetings and polite frames
    answer_type: str         # one of ANSWER_TYPES
    also: tuple[str, ...]    # other types a right answer may have ("who won" → organization too)
    predicate: str | None = None  # the act or role the answer stands in: "founded", "ceo", "revenue"
    named_class: str | None = None  # the kind of thing asked for by name: "band", "robot", "company"
    asks_object: bool = False  # the answer is the one the act was done to: "who did canelo *beat*"

    @property
    def is_yes_no(self) -> bool:
        return self.answer_type == "yes_no"

    @property
    def wants_span(self) -> bool:
        """A short answer of a type (a name, an amount, a date) is what is asked for."""
        return self.answer_type not in ("yes_no", "open")


def strip_chatter(text: str) -> str:
    """The question without mentions, greetings, apologies, polite frames and sign-offs."""
    text = " ".join(_MENTION.sub(" ", text).split())
    for _ in range(3):  # "hey bot, quick q: can you tell me ..." peels in layers
        before = text
        text = _HANDLE.sub("", _CHATTER.sub("", text)).lstrip(" ,:;!.-")
        text = _FRAME.sub("", text).lstrip(" ,:;!.-")
        text = _TRAILER.sub("", text).strip()
        if text == before:
            break
    return text


_THING_OF = re.compile(r"(?:what|which)(?:'s|\s+is|\s+was|\s+are|\s+were)?\s+(?:the\s+)?(?:annual\s+|yearly\s+|"
                       r"base\s+|total\s+)?([\w-]+)\s+of\b")


def answer_type(text: str) -> tuple[str, tuple[str, ...]]:
    """The type asked for, and the other types a right answer may have."""
    lowered = re.sub(r"^wat\b", "what", with_apostrophes(text.lower().replace("’", "'")))
    # "the ftx founder's hedge fund": a role that owns the thing asked for is no person asked for.
    lowered = re.sub(rf"\b(?:{_ROLE})'s\b(?!\s+(?:full\s+|real\s+)?name)", "its", lowered)
    first = re.match(r"[a-z']+", lowered)
    opener = first.group(0) if first else ""
    wh_inside = re.search(r"\b(?:who|which|what|when|where|how\s+(?:much|many))\b", lowered)
    if (opener in YES_NO_OPENERS or _WHETHER.match(lowered)) and not wh_inside:
        return "yes_no", ()
    # "After the Ledger's report, did the Gazette ...?": a lead-in clause, then a yes/no question.
    lead_in = re.search(r",\s+(?:and\s+)?(?:is|are|was|were|do|does|did|has|have|had|can|could|will|would)\s", lowered)
    if lead_in and opener not in _WH_OPENERS and not wh_inside:
        return "yes_no", ()
    if opener in ("who", "whom", "whose", "who's"):
        # "who runs / founded / coaches / played ...": a person's act; "who won / bought ...": maybe a company.
        acts = _PERSON_ACTS.search(lowered) or re.search(rf"\b(?:{_ROLE})\b", lowered)
        return "person", () if acts else ("organization",)
    # "what is the salary of the openai ceo": the thing asked for is the salary, not the ceo.
    if (owned := _THING_OF.match(lowered)) and _RE["money_fragment"].fullmatch(owned.group(1)):
        return "money", ()
    if owned and owned.group(1) == "age":
        return "number", ("duration",)  # as "how old": an age, never an amount
    # A role ("who is the ceo", "x ceo name?") is a person even with a company word about.
    if _RE["person"].search(lowered) and re.search(rf"\b(?:{_ROLE})\b", lowered) and \
            not re.match(r"(?:how|when|where)\b", lowered):
        return "person", ()
    kinds = ["score", "percent", "date", "place", "number", "money", "organization", "product", "person"]
    if opener in _WH_OPENERS and re.match(rf"(?:which|what)\s+(?:[\w-]+\s+){{0,2}}(?:{_ORG})\b", lowered):
        return "organization", ()  # "Which company, reported by ..., is ...?": the head noun decides
    if opener not in _WH_OPENERS:
        kinds.insert(6, "money_fragment")
    for kind in kinds:
        if _RE[kind].search(lowered):
            if kind == "money_fragment":
                return "money", ()
            if kind == "money" and re.search(rf"\b(?:{CHANGE_WORDS})\b", lowered):
                return "money", ("percent", "number")
            if kind == "person" and re.match(r"(?:who|whom)\b", lowered):
                return "person", ("organization",)
            if kind == "organization" and re.search(r"\b(?:team|side|club|country|nation)\b", lowered):
                return "organization", ("place",)
            if kind == "number":
                # "how long", "how many years": a length of time answers too.
                lasting = re.search(r"\bhow\s+(?:long(?!\s+ago)|many\s+(?:more\s+)?(?:hours|days|weeks|months|years|"
                                    r"decades|seasons))\b|\bsentence\b", lowered)
                if lasting:
                    return "number", ("duration",)
                # "how many" counts: a share or an amount is no answer ("8% of Amazon's workforce");
                # a size may be ("how big was the round").
                if re.search(r"\bhow\s+old\b|\bwhat\s+age\b", lowered):
                    return "number", ("duration",)  # an age, "48 years old": never an amount
                return "number", () if re.search(r"\bhow\s+many\b", lowered) else ("percent", "money")
            return kind, ()
    return "open", ()


# Roles that say nothing of what the person did ("which man", "real name").
_EMPTY_ROLES = frozenset("person man woman guy individual star hero real full nickname name".split())
# "who founded", "who plays"; or a participle after an auxiliary: "who was elected", "who is headlining".
_WHO_ACT = re.compile(r"^(?:who|whom)\s+([a-z][\w-]*)")
_WHO_PARTICIPLE = re.compile(r"^(?:who|who's|whom)\s+(?:is|was|are|were|has|have|had|will\s+be|got)\s+"
                             r"(?:(?:just|also|then|first|now|reportedly|being)\s+)*([a-z][\w-]*(?:ed|ing))\b")
_NOT_ACTS = frozenset("is was are were has have had did does do can could will would should may might must "
                      "the a an else".split())
_MONEY_NOUN = re.compile(r"\b(price|cost|salary|wage|worth|revenue|revenues|sales|valuation|fee|budget|fine|profit|"
                         r"profits|loss|losses|income|earnings|bonus|settlement|compensation)\b")
_PRICE_WORDS = frozenset("price prices cost costs".split())
_MONEY_VERB = re.compile(r"\b(pay|paid|paying|pays|offer|offered|raise|raised|raising|spend|spent|spending|"
                         r"charge|charged|earn|earned|lose|lost|sell|sold|buy|bought|invest|invested|fined|win|won|"
                         r"make|made|makes|gross|grossed)\b")


_ROLE_WORD = re.compile(rf"(?:{_ROLE})")


def is_role(word: str) -> bool:
    """Whether a predicate names a role ("ceo", "coach") rather than an act ("founded")."""
    return _ROLE_WORD.fullmatch(word.lower()) is not None  # "chairs", "coaches": verbs


SINCE = "since"  # the predicate of "since when ...?": the sentence must say since when


def asked_predicate(text: str, kind: str) -> str | None:
    """The word for the act or role a short answer must stand in, so that the sentence it
    comes from says it: "who *founded* discogs", "spotify *ceo*?", "how much *revenue* ...".
    None when the question does not show one plainly."""
    lowered = with_apostrophes(text.lower().replace("’", "'"))
    if kind == "date" and re.match(r"(?:and\s+)?since\s+when\b", lowered):
        return SINCE  # a start, as the articles say it: "the default since 2002", not "in 2021"
    if kind == "person":
        for pattern in (_WHO_ACT, _WHO_PARTICIPLE):
            act = pattern.match(lowered)
            if act and act.group(1) not in _NOT_ACTS:
                # "who is running against trump": a race, not who runs something (its head)
                contest = re.match(r"\s+against\b", lowered[act.end():]) and stem(act.group(1)) == stem("run")
                return "against" if contest else act.group(1)
        if done_to := object_act(lowered):
            return done_to
        roles = [m.group(1).split()[-1] for m in re.finditer(rf"\b({_ROLE})\b", lowered)]
        roles = [r for r in roles if r not in _EMPTY_ROLES]
        if roles:
            return roles[-1]  # "head coach": the last word says the role
    if kind == "date" and (asked := _WHEN_DID.match(lowered)):
        # "when did israel invade gaza": the act the date is of; a start or an end is often said
        # without its word ("runs from June"), so those are no act a sentence must say.
        acts = [w for w in asked.group(1).split() if is_known_act(stem(w)) and stem(w) not in _SPANS_OF_TIME]
        if acts:
            return acts[-1]
    if kind == "product" and (asked := _WHAT_DID.match(lowered)):
        # "what phone did google launch": the product must be one the sentence has it launch
        acts = [w for w in asked.group(1).split() if is_known_act(stem(w)) and stem(w) not in _MAKE_STEMS]
        if acts:
            return acts[-1]
    if kind == "money":
        found = _MONEY_NOUN.search(lowered) or _MONEY_VERB.search(lowered)
        # What a thing costs is said without the word ("the glasses start at $299"); what
        # someone paid, raised or earned is said with the act.
        return found.group(1) if found and found.group(1) not in _PRICE_WORDS else None
    if kind == "organization" and (done_to := object_act(lowered)) and done_to not in _MAKING:
        return done_to  # "which company did microsoft buy"
    if kind == "organization" and (which := _WHICH_DOES.match(lowered)) and \
            is_known_act(stem(which.group(1))) and which.group(1) not in _NOT_ACTS | _MAKING:
        # "what company owns instagram"; what makes a product is seldom said with "make"
        return which.group(1)
    if kind == "place" and (where := _WHERE_PARTICIPLE.match(lowered)):
        return where.group(1)  # "where is openai based": a sentence that says "based" ("San Francisco-based")
    if kind == "place" and re.match(r"^where\s+(?:did|does|do|will|is|was)\s+.+?\s+tak(?:e|es|ing)\s+place\b", lowered):
        return "place"  # "where did the final take place": a sentence that says where it took place
    if kind == "number" and re.search(r"\bsentence\b", lowered):
        return "sentence"  # "what sentence did X get": the length of a sentence, said with the word
    if kind == "number":  # "how many *copies* ...": what is counted
        counted = re.search(r"\bhow\s+many\s+(?:more\s+|new\s+|total\s+|of\s+the\s+)?([a-z][\w-]+)", lowered)
        if counted and counted.group(1) not in _NOT_ACTS and counted.group(1) not in ("percent", "times"):
            return counted.group(1)
    return None


def read_question(text: str) -> Question:
    """Clean a member's question and type it; an all-chatter message keeps its text."""
    cleaned = strip_chatter(text) or " ".join(text.split())
    cleaned = spelled_out(with_apostrophes(cleaned))  # "whos" and "ppl" are not names to correct
    cleaned = _WHETHER.sub("", cleaned) if _WHETHER.match(cleaned) else cleaned
    kind, also = answer_type(cleaned or text)
    if _WHETHER.match(strip_chatter(text) or ""):
        kind, also = "yes_no", ()
    predicate = asked_predicate(cleaned, kind)
    done_to = kind in ("person", "organization") and predicate is not None and \
        predicate == object_act(cleaned.lower())
    if done_to and kind == "person" and "organization" not in also:
        also += ("organization",)  # "who did the chiefs play": a team, as like as a person
    return Question(text, cleaned, kind, also, predicate, asked_class(cleaned, kind), done_to)


_MAKING = frozenset("makes made".split())


def asks_maker(text: str) -> bool:
    """"what company makes chatgpt": the maker is asked, though no sentence need say "make"
    (so it is no predicate); one that does makes its object the thing made, not the maker."""
    which = _WHICH_DOES.match(with_apostrophes(text.lower().replace("’", "'")))
    return which is not None and which.group(1) in _MAKING

_WHICH_DOES = re.compile(rf"^(?:which|what)\s+(?:[\w-]+\s+){{0,2}}?(?:{_ORG})\s+([a-z]+(?:s|ed)|won|bought|sold|"
                         r"ran|led|beat|lost|paid|spent)\b")
_WHERE_PARTICIPLE = re.compile(r"^where\s+(?:is|are|was|were|'s)\s+(?:.+?\s+)?(based|headquartered|located|born|"
                               r"made|built|manufactured|assembled|produced|filmed|held|hosted)\b")
_WHEN_DID = re.compile(r"^when\s+(?:did|does|do|was|were|is|are|has|have|had|will)\s+((?:[\w'.-]+\s*){1,6})")
_WHAT_DID = re.compile(rf"^(?:what|which)\s+(?:[\w-]+\s+){{0,2}}?(?:{_PRODUCT})s?\s+(?:did|does|do|has|have|will)\s+"
                       r"((?:[\w'.-]+\s*){1,6})")
# What makes a thing is seldom said with "make" ("the Pixel 8, Google's new phone").
_MAKE_STEMS = frozenset(stem(w) for w in "make makes made build built produce".split())
_SPANS_OF_TIME = frozenset(stem(w) for w in "start starts started begin begins began commence kick open opens opened "
                           "end ends ended finish finished close closes closed run runs launch release come".split())
# "who did canelo beat", "which company did microsoft buy": the one the subject acted on.
_WHO_DID = re.compile(rf"^(?:who|whom|(?:which|what)\s+(?:[\w-]+\s+){{0,2}}?(?:{_ORG}))\s+"
                      r"(?:did|does|do|will|would)\s+(.+)$")
_DETERMINERS = frozenset("the a an its their his her our my your".split())


def object_act(lowered: str) -> str | None:
    """The act a question's subject did to the one asked for: "who did the chiefs *play* on
    christmas", "who did canelo *beat*". The subject takes the first word, and a word after
    a determiner is a noun ("the chiefs"), not the act."""
    asked = _WHO_DID.match(lowered)
    if asked is None:
        return None
    after = re.findall(r"[a-z][\w'-]*", asked.group(1))
    for i, word in enumerate(after[1:], 1):
        if word in _SAYING:
            return None  # "who did gemini say won best actor": the one asked for is the winner
        if after[i - 1] not in _DETERMINERS and is_known_act(stem(word)):
            # "which team does messi play for": the team is no one played, but who he plays for
            return None if after[i + 1:i + 2] and after[i + 1] in _NOT_ACTED_ON else word
    return None


_NOT_ACTED_ON = frozenset(("for", "as"))


_SAYING = frozenset("say said think thought claim claimed believe believed expect expected predict predicted "
                    "report reported pick picked".split())


_CLASS_NOUN = re.compile(rf"\b({_ORG}|{_PRODUCT})\b", re.IGNORECASE)
_PRODUCT_BEFORE = re.compile(rf"\b({_PRODUCT})\s+$")  # lower case: "App" may start a name


def product_class_before(text: str) -> str | None:
    """The kind of product that ``text`` ends by naming, in lower case: "the customization app "."""
    found = _PRODUCT_BEFORE.search(text)
    return found.group(1) if found else None


def asked_class(text: str, kind: str) -> str | None:
    """The kind of thing a question asks to name ("danny elfman's old band?", "what is the
    robot called"): the class noun after "which" or "what", else the last one it says. The
    articles often name it beside that noun ("the new wave band Oingo Boingo")."""
    if kind not in ("organization", "product"):
        return None
    lowered = text.lower()
    called = re.search(r"\b([a-z]{3,})\s+(?:called|named)\W*$", lowered)
    if called and called.group(1) not in STOP_WORDS:
        return called.group(1)  # "what is orbel's delivery drone called"
    after_wh = re.search(rf"\b(?:which|what)\s+(?:[\w-]+\s+){{0,2}}?({_ORG}|{_PRODUCT})\b", lowered)
    found = [m.group(1) for m in _CLASS_NOUN.finditer(lowered)]
    noun = after_wh.group(1) if after_wh else (found[-1] if found else None)
    return noun.split()[-1] if noun else None
