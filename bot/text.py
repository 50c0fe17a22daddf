"""Text handling shared by loading and matching: chat clean-up, tokens, heading slugs."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import snowballstemmer

# Slack: <@U123>, <@U123|name>, <!here>, <!channel>, <#C1|general>; Discord: <@123>, <@!123>,
# <@&123>, <#123>, <:emoji:123>; plain @everyone / @here.
_MENTION = re.compile(r"<(?:@[!&]?|#|!|a?:\w+:)[^>\s]*>|@(?:everyone|here)\b")
_SPACES = re.compile(r"\s+")
_COMBINING = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
_WORD = re.compile(r"[^\W_]+")
_ASCII_WORD = re.compile(r"[a-z0-9]+")

# Chatter that wraps a question in chat, removed only at the start or end of a message.
_LEADING_CHATTER = re.compile(
    r"^(?:(?:hi|hey|hello|hiya|yo|howdy|greetings|good (?:morning|afternoon|evening)|"
    r"dear|ok|okay|so|um+|uh+|hmm+|quick (?:one|question)|question|q|sorry|excuse me|"
    r"bot|qa ?bot|everyone|all|folks|guys|team|there|please|pls|plz)\b[\s,.!:;\-–—]*)+",
    re.IGNORECASE,
)
_TRAILING_CHATTER = re.compile(
    r"(?:[\s,.!:;\-–—]*\b(?:thanks|thank you|thx|ty|cheers|please|pls|plz|in advance|"
    r"much appreciated|appreciate it|any ideas|anyone|help)\b[\s,.!?:;)\-–—]*)+$",
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
    return [w for w in found if w not in STOPWORDS]


def github_slug(heading: str) -> str:
    """The anchor GitHub renders for a markdown heading (before de-duplication)."""
    text = heading.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text, flags=re.UNICODE)
    return text.replace(" ", "-")


def collapse_spaces(text: str) -> str:
    return _SPACES.sub(" ", text).strip()
