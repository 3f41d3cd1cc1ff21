"""The regular expressions the company rules read a body with: a capitalised name, the
cue words around one, alias definitions, outlet cues.

Usage::

    from index.companies.patterns import POST_CUE_RE, PRE_CUE_RE
    PRE_CUE_RE.search("the EV maker Nio said").group(1)            # "Nio"
    POST_CUE_RE.search("a Hyundai spokesperson said").group(1)     # "Hyundai"
"""

from __future__ import annotations

import re

from index.companies.names import APOS

# A name word: Capitalised, ALLCAPS, camelCase with a capital ("iPhone", "eBay"), or
# digit-led with letters ("3M", "23andMe").
_W = r"(?:[A-Z][\w&\-]*|[a-z]{1,2}[A-Z][\w&\-]*|\d+[A-Za-z][\w&\-]*)"
_CONNECT = r"(?:of|&|de|du|von|van|der|del|la)"
NAME = rf"{_W}(?:[ \t]+(?:{_CONNECT}[ \t]+)?{_W}){{0,6}}"
POSS = rf"(?:[{APOS}]s\b|(?<=s)[{APOS}](?!\w))"

# "EV maker Nio", "partnering with JAC": the name after these is a company.
_PRE_CUES = (
    r"(?:maker|makers|carmaker|carmakers|automaker|automakers|chipmaker|chipmakers|"
    r"manufacturer|manufacturers|company|firm|startup|start-up|giant|retailer|conglomerate|"
    r"supplier|subsidiary|lender|insurer|airline|developer|publisher|studio|brand|provider|"
    r"partnering\s+with|partnered\s+with|partnership\s+with|tie-up\s+with|"
    r"merger\s+with|acquisition\s+of|join(?:s|ed|ing)?\s+forces\s+with|"
    r"team(?:s|ed|ing)?\s+up\s+with|acquired|acquire|acquires|stake\s+in|subsidiary\s+of|"
    r"unit\s+of|owned\s+by|backed\s+by|spokesperson\s+for|spokesman\s+for|"
    r"spokeswoman\s+for|executive\s+at|executives\s+at|shares\s+of|shares\s+in|"
    r"joint\s+venture\s+(?:between|of|with))"
)
# Weaker: also said of people ("his rival Trump"), so they count only for names NER never
# calls a person in the article.
_WEAK_PRE_CUES = r"(?:rival|rivals|competitor|competitors|partner|partners|peer|peers)"
# "Hyundai spokesperson", "Tesla CEO", "Acme Inc": the name before these is a company.
_POST_CUES = (
    r"(?:spokesperson|spokesman|spokeswoman|spokespeople|spokespersons|CEO|"
    r"chief\s+executive|co-founder|founder|board\s+of\s+directors|headquarters|Inc|Corp|Ltd|"
    r"LLC|Co|plc|GmbH|AG|Corporation|Incorporated|Limited)"
)
# Also said of nationalities ("Chinese shares", "Korean investors"): vetoed where NER says NORP.
_NORP_POST_CUES = r"(?:shares|stock|investors?|executives?|representatives?)"
PRE_CUE_RE = re.compile(  # capitalised cue words only where a sentence starts
    rf"(?:\b{_PRE_CUES}|(?:^|(?<=[.!?][ \t])|(?<=[\n\"“]))(?i:{_PRE_CUES}))[ \t]+"
    rf"(?:the[ \t]+)?({NAME})",
    re.MULTILINE,
)
WEAK_PRE_CUE_RE = re.compile(rf"\b{_WEAK_PRE_CUES}[ \t]+({NAME})")
POST_CUE_RE = re.compile(rf"({NAME})(?:{POSS})?[ \t]+{_POST_CUES}\b")
NORP_POST_CUE_RE = re.compile(rf"({NAME})(?:{POSS})?[ \t]+{_NORP_POST_CUES}\b")
# "between X and Y" after a joint-venture cue: the second company.
JV_SECOND_RE = re.compile(
    rf"\bjoint\s+venture\s+(?:between|of|with)[ \t]+(?:the[ \t]+)?{NAME}[ \t]+(?:and|&)[ \t]+"
    rf"(?:the[ \t]+)?({NAME})"
)
JV_SUBJECT_RE = re.compile(rf"({NAME})[ \t]+(?:is|was|became|,)[ \t]+(?:a|the)[ \t]+joint\s+venture\b")
OUTLET_CUE_RE = re.compile(
    rf"(?:\btold[ \t]+(?:the[ \t]+)?({NAME})|({NAME})(?:{POSS})?[ \t]+(?:reporter|reporters|"
    rf"correspondent|journalist|columnist|newspaper|news\s+agency|broadcaster)\b)"
)
ALIAS_PAREN_RE = re.compile(
    rf"({NAME})[ \t]*\([ \t]*(?:(formerly|previously|now)[ \t]+(?:known[ \t]+as[ \t]+|"
    rf"called[ \t]+)?)?(?:the[ \t]+)?({NAME})\.?[ \t]*\)"
)
ALIAS_COMMA_RE = re.compile(
    rf"({NAME}),[ \t]+(formerly|previously)[ \t]+(?:known[ \t]+as[ \t]+|called[ \t]+)?({NAME})"
)
CAP_RUN_RE = re.compile(rf"(?<![\w&\-]){NAME}")
TOKEN_RE = re.compile(r"\S+")
ORG_JOINER_RE = re.compile(
    r"\s+(?:and|or|on|in|at|for|to|from|with|who|v|vs|versus|@|plus|by)\.?\s+|\s*[,;/]\s+"
)
POSSESSIVE_INNER_RE = re.compile(rf"(?:[{APOS}]s|(?<=s)[{APOS}])[ \t]+")
NAME_START_RE = re.compile(r"[A-Z0-9]|[a-z]{1,2}[A-Z]")
LOWER_WORD_RE = re.compile(r"(?<![\w\-])[a-z][a-z]+(?![\w\-])")
PAREN_HINT_RE = re.compile(r"\([ \t]*(?:formerly|previously|now)?[ \t]*[A-Z]|,[ \t]+(?:formerly|previously)")
