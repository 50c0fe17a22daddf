"""Text handling shared by loading and matching: chat clean-up, tokens, heading slugs."""

from __future__ import annotations

import itertools
import re
import unicodedata
from functools import lru_cache

import snowballstemmer

# Slack: <@U123>, <@U123|name>, <!here>, <!channel>, <#C1|general>; Discord: <@123>, <@!123>,
# <@&123>, <#123>, <:emoji:123>; plain @everyone / @here.
_MENTION = re.compile(r"<(?:@[!&]?|#|!|a?:\w+:)[^>]*>|@(?:everyone|here)\b")
_SPACES = re.compile(r"\s+")
_COMBINING = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
_WORD = re.compile(r"[^\W_]+")
_ASCII_WORD = re.compile(r"[a-z0-9]+")

# Chatter that wraps a question in chat, removed only at the start or end of a message.
_LEADING_CHATTER = re.compile(
    r"^(?:(?:hi|hey|hello|hiya|yo|howdy|greetings|good (?:morning|afternoon|evening)|"
    r"dear|ok|okay|so|um+|uh+|hmm+|quick (?:one|question)|question|q|sorry|excuse me|"
    r"bot|qa ?bot|everyone|all|folks|guys|team|there|please|pls|plz|thanks|thank you|thx)\b"
    r"[\s,.!:;\-–—]*)+",
    re.IGNORECASE,
)
_TRAILING_CHATTER = re.compile(
    r"(?:[\s,.!:;\-–—]*\b(?:(?:thanks|thank you|thx|ty)(?: (?:a lot|so much|very much|again|"
    r"all|everyone|guys|in advance))?|cheers|please|pls|plz|in advance|much appreciated|"
    r"appreciate it|any ideas|anyone|help)\b[\s,.!?:;)\-–—]*)+$",
    re.IGNORECASE,
)

_THANKS = re.compile(
    r"^(?:thanks|thank you|thank u|thx|ty|tysm|cheers|much appreciated|appreciate it)\b",
    re.IGNORECASE,
)

STOPWORDS = frozenset(
    """a about above after again against all am an and any are aren't as at be because been
    before being below between both but by can can't cannot could couldn't did didn't do does
    doesn't doing don't down during each few for from further had hadn't has hasn't have
    haven't having he her here hers herself him himself his how i i'd i'll i'm i've if in into
    is isn't it it's its itself let's me more most mustn't my myself no nor not of off on once
    only or other ought our ours ourselves out over own same shan't she should shouldn't so
    some such than that that's the their theirs them themselves then there there's these they
    they'd they'll they're they've this those through to too under until up very was wasn't we
    we'd we'll we're we've were weren't what what's when when's where where's which while who
    who's whom why why's with won't would wouldn't you you'd you'll you're you've your yours
    yourself yourselves hi hey hello thanks thank thx please pls plz bot anyone someone
    does doe just really actually also get got getting gonna wanna want wants like know tell
    question questions ask asking quick guys folks ok okay yes yeah hmm um uh
    s t d ll m re ve don doesn isn aren wasn weren haven hasn hadn won wouldn shouldn couldn
    didn mustn shan let""".split()
)

_stemmer = snowballstemmer.stemmer("english")


def fold(text: str) -> str:
    """Unicode-normalise and case-fold; accents are dropped so 'café' matches 'cafe'."""
    if text.isascii():
        return text.lower()
    return _COMBINING.sub("", unicodedata.normalize("NFKD", text)).casefold()


def strip_mentions(text: str) -> str:
    return _SPACES.sub(" ", _MENTION.sub(" ", text)).strip()


def clean_question(text: str) -> str:
    """What a member asked, without mentions, greetings and sign-offs (for display and logs)."""
    text = strip_mentions(unicodedata.normalize("NFKC", text))
    if _THANKS.match(text) and "?" not in text:  # "thanks, that was helpful!" asks nothing
        return ""
    previous = None
    while previous != text:
        previous = text
        text = _LEADING_CHATTER.sub("", text).strip()
        text = _TRAILING_CHATTER.sub("", text).strip()
    return text


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    result: str = _stemmer.stemWord(word)
    return result


def content_words(text: str) -> list[str]:
    """Folded words without stop words; apostrophes split words ("don't" -> "don", "t")."""
    folded = fold(text)
    found = (_ASCII_WORD if folded.isascii() else _WORD).findall(folded)
    return list(itertools.filterfalse(STOPWORDS.__contains__, found))


# Frequent function words of other languages that are rare in English questions.
_FOREIGN_WORDS = (
    frozenset(
        """der die das und ist nicht ich wie wo wann warum kann ich mich mit für auf ein eine einen
    sie wir ihr den dem des auch noch bei zum zur kurs gibt es bitte danke hallo
    le la les des est une sur pour avec dans que qui pas je vous nous mon ma mes ce cette
    comment pourquoi quand où puis peut faire bonjour merci cours être avoir
    el los las una unos por para con que qué cómo como cuál dónde cuándo es está son hay
    puedo tengo mi mis su sus del al hola gracias curso muy pero también
    o os um uma não sim você voce obrigado olá curso com isso pode posso
    il lo gli della delle che per non sono come dove quando perché posso grazie ciao corso
    het een en van niet ik je hoe wat waar waarom kan mijn jij wij dank hallo cursus""".split()
    )
    - STOPWORDS
)
_OTHER_SCRIPT = re.compile(
    r"[\u0370-\u03ff\u0400-\u052f\u0590-\u06ff\u0900-\u0dff\u3040-\u9fff\uac00-\ud7af]"
)


def looks_foreign(text: str) -> bool:
    """True when a message is most likely not English (script, or other languages' small words)."""
    if not text.isascii():
        letters = [c for c in text if c.isalpha()]
        if sum(bool(_OTHER_SCRIPT.match(c)) for c in letters) > len(letters) / 2:
            return True
    found = _WORD.findall(text.casefold())
    foreign = {w for w in found if w in _FOREIGN_WORDS}
    english = {w for w in found if w in STOPWORDS}
    return len(foreign) >= 2 and len(foreign) > len(english)


_SENTENCE_END = (".", "!", "?", ":", ";")


def name_like_words(text: str) -> list[str]:
    """Words that look like names: capitalised inside a sentence (Berlin, Anthropic) or letters
    with digits (qwen3). A question about a name the knowledge never mentions is likely about
    something else."""
    found = []
    previous = "."
    for token in text.split():
        word = token.strip("\"'()[]{},.!?:;")
        if word and (
            (word[0].isupper() and not previous.endswith(_SENTENCE_END) and not word.isupper())
            or (word.isalnum() and word[0].isalpha() and any(c.isdigit() for c in word))
        ):
            found.append(word)
        previous = token
    return found


# Shorthand members use that a sentence model reads poorly; written out before encoding.
_SHORTHAND = {
    "de": "data engineer",
    "ds": "data scientist",
    "fe": "frontend",
    "swe": "software engineer",
    "sde": "software engineer",
    "mle": "machine learning engineer",
    "eng": "engineering",
    "engs": "engineers",
    "jd": "job description",
    "jds": "job descriptions",
    "hw": "homework",
    "k8s": "kubernetes",
    "dev": "developer",
    "devs": "developers",
    "exp": "experience",
    "yrs": "years",
    "pls": "please",
    "ngl": "honestly",
    "tbh": "honestly",
}
_SHORTHAND_WORD = re.compile(r"\b(" + "|".join(_SHORTHAND) + r")\b", re.IGNORECASE)


def spelled_out(text: str) -> str:
    """``text`` with members' shorthand written out (``FE -> AI eng?``: frontend, engineering)."""
    return _SHORTHAND_WORD.sub(lambda m: _SHORTHAND[m.group(1).lower()], text)


_MARKDOWN_LINK = re.compile(r"!?\[([^\]]*)\]\([^)\s]*(?:\s+\"[^\"]*\")?\)")
_BARE_URL = re.compile(r"<?\b(?:https?|file|ftp)://[^\s>)]+>?")


def readable(markdown: str) -> str:
    """The words a member reads: link text kept, link targets and bare URLs dropped.

    Matching must not depend on where the knowledge is published or installed: a clone in a
    folder named ``x-review`` would otherwise match "review" in every resolved link.
    """
    return _BARE_URL.sub(" ", _MARKDOWN_LINK.sub(r"\1", markdown))


def github_slug(heading: str) -> str:
    """The anchor GitHub renders for a markdown heading (before de-duplication)."""
    text = heading.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text, flags=re.UNICODE)
    return text.replace(" ", "-")


def collapse_spaces(text: str) -> str:
    return _SPACES.sub(" ", text).strip()
