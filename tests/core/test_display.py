"""How answers are shown: tidied as markdown renders them, and cut to a readable first part."""

from __future__ import annotations

import re

import pytest

from bot.display import EXCERPT_MAX, EXCERPT_MIN, excerpt, tidy
from bot.knowledge import KnowledgeBase
from bot.replies import tip

DOCKER = """Ensure Docker is running.

1. Run the following command to start the Docker daemon:
   
   ```bash
   sudo systemctl start docker
       --now
   ```
2. Verify it's running."""


def test_a_fence_indented_in_a_list_item_loses_only_its_own_indentation() -> None:
    shown = tidy(DOCKER)
    assert "```bash\nsudo systemctl start docker\n    --now\n```" in shown
    assert "   sudo" not in shown


def test_soft_line_breaks_are_joined_but_not_list_items_code_or_hard_breaks() -> None:
    markdown = (
        "A paragraph written\nover three\nlines.\n\n- item one\n  continued\n- item two\n\n"
        "Hard break  \nkept\n\n```\nline 1\nline 2\n```\n# Heading\nText after."
    )
    assert tidy(markdown) == (
        "A paragraph written over three lines.\n\n- item one continued\n- item two\n\n"
        "Hard break  \nkept\n\n```\nline 1\nline 2\n```\n# Heading\nText after."
    )


def test_a_short_answer_is_shown_whole() -> None:
    assert excerpt("Short. Answer.") == excerpt("Short. Answer.", limit=EXCERPT_MAX)
    assert not excerpt("x " * 400).cut


def test_a_long_answer_is_cut_after_a_sentence_never_inside_a_link() -> None:
    sentence = "See [the guide, part one. Then two](https://e.x/a.b) for step {}. "
    shown = excerpt("".join(sentence.format(i) for i in range(60)))
    assert shown.cut and EXCERPT_MIN <= len(shown.text) <= EXCERPT_MAX
    assert shown.text.endswith(". …")
    assert shown.text.count("[") == shown.text.count("](")  # every link whole


def test_a_code_block_is_never_cut_in_the_middle() -> None:
    code = "```\n" + "\n".join(f"echo line {i}" for i in range(200)) + "\n```"
    answer = "Run this first, it prepares everything:\n\n" + code + "\n\nThen restart."
    shown = excerpt(answer)
    assert shown.cut and shown.text.startswith("Run this first")
    assert shown.text.count("```") % 2 == 0


def test_an_answer_that_opens_with_a_huge_code_block_shows_it_shortened_honestly() -> None:
    code = "```python\n" + "\n".join(f"value_{i} = compute({i})" for i in range(100)) + "\n```"
    shown = excerpt(code + "\n\nThat is all.")
    assert shown.cut and len(shown.text) <= EXCERPT_MAX
    assert shown.text.startswith("```python\nvalue_0") and shown.text.endswith("```\n…")


def test_bundled_tips_are_readable(bundled_knowledge: KnowledgeBase) -> None:
    for entry in bundled_knowledge.entries:
        shown = tip(entry).text
        assert len(shown) <= max(len(entry.answer), EXCERPT_MAX + 2)
        assert shown.count("```") % 2 == 0


@pytest.mark.corpus
def test_real_faq_answers_keep_fences_whole_and_unindented(shared_corpus) -> None:
    from bot.knowledge import load_knowledge

    faq = load_knowledge(shared_corpus / "datatalksclub-faq")
    fenced = [e for e in faq.entries if re.search(r"^[ \t]+```", e.answer, re.MULTILINE)]
    assert len(fenced) > 20
    for entry in fenced:
        shown = tip(entry).text
        assert shown.count("```") % 2 == 0, entry.id
        assert not re.search(r"^[ \t]+```", shown, re.MULTILINE), entry.id
        assert len(shown) <= EXCERPT_MAX + 2 or len(shown) == len(tidy(entry.answer)), entry.id
