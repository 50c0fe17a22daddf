"""Every question the project shows as an example is answered from the bundled knowledge.

The examples are read from where members and hosts see them: the README and docs, the Slack
manifest's usage hint, and the bot's own help text.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from bot import replies
from bot.knowledge import bundled_sources, load_knowledge
from bot.matching import Matcher
from bot.meaning import MeaningEncoder
from bot.models import Answer

REPO = Path(__file__).resolve().parents[2]
# `/ask QUESTION`, `@bot QUESTION?`, and a plain `qabot ask "QUESTION"` (no other knowledge).
SLASH = re.compile(r"`/ask ([^`]+)`")
MENTION = re.compile(r"`@[\w-]+(?: Bot)? ([^`]+\?)`")
COMMAND = re.compile(r'(?<![\w=-])qabot ask "([^"]+)"(?![^\n]*--)')


def shown_examples() -> set[str]:
    texts = [(REPO / "README.md").read_text(encoding="utf-8")]
    texts += [page.read_text(encoding="utf-8") for page in sorted((REPO / "docs").glob("*.md"))]
    texts.append(replies.usage("CourseBot"))
    found = {
        m for text in texts for pattern in (SLASH, MENTION, COMMAND) for m in pattern.findall(text)
    }
    manifest = yaml.safe_load((REPO / "adapters/slack/manifest.yaml").read_text(encoding="utf-8"))
    found |= {
        c["usage_hint"] for c in manifest["features"]["slash_commands"] if c.get("usage_hint")
    }
    placeholders = {"QUESTION", "<question>", "..."}
    return {example.strip() for example in found} - placeholders


EXAMPLES = sorted(shown_examples())


def test_the_examples_are_found() -> None:
    assert "how do I get the webinar recording?" in EXAMPLES
    assert "How can a data engineer become an AI engineer?" in EXAMPLES
    assert len(EXAMPLES) >= 4


@pytest.fixture(name="matcher", scope="module")
def _matcher(sentence_model: MeaningEncoder) -> Matcher:
    return Matcher(load_knowledge(bundled_sources()), encoder=sentence_model)


@pytest.mark.parametrize("example", EXAMPLES)
def test_every_example_is_answered(matcher: Matcher, example: str) -> None:
    result = matcher.ask(example)
    assert isinstance(result, Answer), (example, result.candidates[:2])
