"""A draft from the report or the digest, answered by the host, becomes an entry that answers
the members' wordings: for a question sent to the mentors, the asker's wording first."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.drafts import Draft, faq_file
from bot.errors import KnowledgeError
from bot.knowledge import load_knowledge
from bot.matching import Matcher
from bot.models import Answer

ASKER = "can I get the course invoice in my company's name"
COURSE = (
    "_metadata.yaml",
    "course_name: LLM Zoomcamp\nsections:\n  - id: general\n    name: General\n",
)


def faq_knowledge(root: Path, text: str) -> Path:
    course = root / "llm-zoomcamp"
    (course / "general").mkdir(parents=True)
    (course / COURSE[0]).write_text(COURSE[1], encoding="utf-8")
    (course / "general" / "001_invoice.md").write_text(text, encoding="utf-8")
    return root


def test_an_answered_mentor_draft_answers_the_askers_wording(tmp_path: Path) -> None:
    draft = Draft("Can I get an invoice?", (ASKER, "invoice for my employer?"), 3, "mentor")
    written = faq_file(draft).replace("TODO", "Yes: write to the course team with your company.")

    kb = load_knowledge(faq_knowledge(tmp_path, written))

    [entry] = kb.entries
    assert entry.aliases[0] == ASKER
    result = Matcher(kb).ask(ASKER)
    assert isinstance(result, Answer) and result.entry.id == entry.id


def test_aliases_that_are_not_a_list_of_questions_name_the_file_and_line(tmp_path: Path) -> None:
    text = "---\nid: aa11\nquestion: Can I get an invoice?\naliases:\n  a: 1\n---\n\nYes.\n"

    with pytest.raises(KnowledgeError, match=r"001_invoice.md:2: .*aliases"):
        load_knowledge(faq_knowledge(tmp_path, text))
