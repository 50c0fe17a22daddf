"""Loading webinar Q&A pages and course-FAQ files into entries."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import KnowledgeError
from bot.knowledge import check_knowledge, load_knowledge

WEBINAR = "knowledge/webinars/07-shipping-llm-apps"  # the fixture folder is named knowledge


@pytest.fixture(name="kb")
def _kb(fixture_knowledge_dir: Path):
    return load_knowledge(fixture_knowledge_dir, base_url="https://github.com/org/repo/blob/main")


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


class TestWebinar:
    def test_entries_are_the_headings_of_qa_sections_only(self, kb) -> None:
        """### headings under '## Q&A ...' are entries; Key Findings and code comments are not."""
        questions = [
            e.question
            for e in kb.entries
            if e.path.startswith("webinars/") and "#about." not in e.id
        ]
        assert questions == [
            "How do I monitor an LLM application in production?",
            "Which vector database should I start with?",
            "Prompt versioning",
            "How do I monitor an LLM application in production?",
            "Is fine-tuning worth it for a small team?",
        ]

    def test_ids_are_github_anchors_and_repeated_headings_get_suffixes(self, kb) -> None:
        ids = [e.id for e in kb.entries if e.path.startswith("webinars/")]
        assert all(e.source == "knowledge" for e in kb.entries)
        assert ids[0] == f"{WEBINAR}#how-do-i-monitor-an-llm-application-in-production"
        assert ids[3] == f"{WEBINAR}#how-do-i-monitor-an-llm-application-in-production-1"
        assert ids[2] == f"{WEBINAR}#prompt-versioning"

    def test_source_title_link_and_recording(self, kb) -> None:
        entry = kb.get(f"{WEBINAR}#which-vector-database-should-i-start-with")
        assert entry is not None
        assert entry.source_title == "Webinar 7: Shipping LLM Apps (May 5, 2026)"
        assert entry.source_url == (
            "https://github.com/org/repo/blob/main/webinars/07-shipping-llm-apps.md"
            "#which-vector-database-should-i-start-with"
        )
        assert entry.recording_url == "https://www.youtube.com/watch?v=abc123"
        assert entry.date == "May 5, 2026"
        assert entry.answer.startswith("Start with PostgreSQL")

    def test_relative_links_become_absolute(self, kb) -> None:
        entry = kb.get(f"{WEBINAR}#is-fine-tuning-worth-it-for-a-small-team")
        assert entry is not None
        base = "https://github.com/org/repo/blob/main/webinars/"
        assert f"[the slides]({base}slides/shipping.pdf)" in entry.answer
        assert "[prompt versioning](#prompt-versioning)" in entry.answer
        assert "[an external guide](https://example.org/fine-tuning)" in entry.answer

    def test_answer_keeps_code_blocks_with_hash_lines(self, kb) -> None:
        entry = kb.get(f"{WEBINAR}#how-do-i-monitor-an-llm-application-in-production")
        assert "### this is a code comment, not a heading" in entry.answer
        assert entry.line == 21

    def test_without_base_url_links_point_at_the_local_file(self, fixture_knowledge_dir) -> None:
        entry = load_knowledge(fixture_knowledge_dir).get(f"{WEBINAR}#prompt-versioning")
        assert entry is not None
        assert entry.source_url.startswith("file://")
        assert entry.source_url.endswith("07-shipping-llm-apps.md#prompt-versioning")

    @pytest.mark.parametrize(
        ("text", "line", "message"),
        [
            ("Some intro\n\n## Q&A\n\n### Q?\n\nA.\n", 3, "heading before the '# Webinar"),
            ("just text, no headings\n", 1, "missing title"),
            ("# Webinar 1: T\n\n## Q&A\n\n### Q?\n\n```\nunclosed\n", 7, "never closed"),
            ("# Webinar 1: T\n\n## Q&A\n\n### Empty?\n\n### Next?\n\nA.\n", 5, "empty answer"),
            ("# Webinar 1: T\n\n# Webinar 2: T\n", 3, "second '# ' title"),
        ],
    )
    def test_malformed_files_name_file_and_line(self, tmp_path, text, line, message) -> None:
        write(tmp_path, "webinars/bad.md", text)
        with pytest.raises(KnowledgeError) as info:
            load_knowledge(tmp_path)
        assert str(info.value).startswith(f"webinars/bad.md:{line}: ")
        assert message in str(info.value)


class TestFaq:
    def test_one_entry_per_file_with_front_matter_id(self, kb) -> None:
        entry = kb.get(
            "knowledge/faq/demo-course/general/001_aa11bb22cc_can-i-still-join#aa11bb22cc"
        )
        assert entry is not None
        assert entry.question == "Course: I just found the course. Can I still join?"
        assert entry.source_title == "Demo Zoomcamp › General Course-Related Questions"
        assert entry.source_url.endswith("001_aa11bb22cc_can-i-still-join.md#aa11bb22cc")
        assert entry.answer.startswith("Yes. You can still submit")

    def test_numeric_ids_and_image_placeholders(self, kb) -> None:
        entry = kb.get(
            "knowledge/faq/demo-course/module-1/001_1234567890_docker-permission-denied#1234567890"
        )
        assert entry is not None
        assert entry.source_title == "Demo Zoomcamp › Module 1: Docker"
        assert (
            "[image: terminal showing the error](https://github.com/org/repo/blob/main/images/demo/docker-error.png)"
            in entry.answer
        )
        assert "<{IMAGE" not in entry.answer

    def test_placeholders_are_skipped_and_duplicates_reported(self, kb) -> None:
        assert all(e.question != "Question" for e in kb.entries)
        messages = [str(p) for p in kb.problems]
        assert any("003_0a0b0c0d0e_question.md:1: warning: placeholder" in m for m in messages)
        assert any("duplicate question" in m and "002_abcdefabcd" in m for m in messages)

    @pytest.mark.parametrize(
        ("text", "line", "message"),
        [
            ("---\nid: x1\nquestion: Q?\n", 1, "never closed"),
            ("---\nid: x1\nquestion: [unclosed\n---\nA.\n", 4, "invalid YAML"),
            ("---\nid: x1\n---\nA.\n", 2, "lacks 'question'"),
            ("---\n- a\n- b\n---\nA.\n", 2, "must be a mapping"),
        ],
    )
    def test_malformed_front_matter(self, tmp_path, text, line, message) -> None:
        write(tmp_path, "c/s/001_bad.md", text)
        with pytest.raises(KnowledgeError) as info:
            load_knowledge(tmp_path)
        assert str(info.value).startswith(f"c/s/001_bad.md:{line}: ")
        assert message in str(info.value)

    def test_binary_file_is_a_clear_error(self, tmp_path) -> None:
        (tmp_path / "blob.md").write_bytes(b"\xff\xfe\x00garbage")
        with pytest.raises(KnowledgeError, match=r"blob.md:1: not UTF-8 text"):
            load_knowledge(tmp_path)


class TestCheck:
    def test_reports_every_broken_file_not_just_the_first(self, tmp_path) -> None:
        write(tmp_path, "a.md", "no title\n")
        write(tmp_path, "b.md", "# Webinar 2: B\n\n## Q&A\n\n### Q?\n\n```\n")
        write(tmp_path, "c.md", "# Webinar 3: C\n\n## Q&A\n\n### Fine?\n\nYes.\n")
        problems = check_knowledge(tmp_path)
        errors = [str(p) for p in problems if p.severity == "error"]
        assert errors == [
            "a.md:1: error: missing title: start the file with '# Webinar N: Title'",
            "b.md:7: error: code block opened with ``` is never closed",
        ]

    def test_duplicate_ids_are_errors(self, tmp_path) -> None:
        text = "# Webinar 1: A\n\n## Q&A\n\n### Same?\n\nOne.\n"
        write(tmp_path, "x/w.md", text)
        write(tmp_path, "x/w.md".replace("w.md", "w2.md"), text)
        assert not [p for p in check_knowledge(tmp_path) if p.severity == "error"]
        write(tmp_path, "x/tips.txt", "")
        problems = check_knowledge(tmp_path)
        assert [p.message for p in problems if "duplicate question" in p.message]

    def test_unknown_curated_tip_is_an_error(self, tmp_path) -> None:
        write(tmp_path, "w.md", "# Webinar 1: A\n\n## Q&A\n\n### Fine?\n\nYes.\n")
        write(tmp_path, "tips.txt", "# curated tips\nw#fine\nw#missing\n")
        errors = [str(p) for p in check_knowledge(tmp_path) if p.severity == "error"]
        assert errors == ["tips.txt:3: error: tips.txt names unknown entry 'w#missing'"]
        # Ids in tips.txt may leave out the source's name; they are kept whole.
        source = tmp_path.name
        assert load_knowledge(tmp_path).curated_tips == (f"{source}/w#fine", f"{source}/w#missing")

    def test_off_topic_examples_are_read_without_comments(self, tmp_path) -> None:
        write(tmp_path, "w.md", "# Webinar 1: A\n\n## Q&A\n\n### Fine?\n\nYes.\n")
        write(tmp_path, "off-topic.txt", "# ask a person\nWhen is the next cohort?\n\n")
        assert load_knowledge(tmp_path).off_topic == ("When is the next cohort?",)
        assert not check_knowledge(tmp_path)

    def test_links_to_files_missing_from_the_folder_are_warnings(self, tmp_path) -> None:
        write(tmp_path, "02-next.md", "# Webinar 2: Next\n\n## Q&A\n\n### Q?\n\nA.\n")
        write(
            tmp_path,
            "01-first.md",
            "# Webinar 1: First\n\n## Q&A\n\n### Where next?\n\n"
            "See [webinar 2](02-next.md#q), [webinar 3](03-later.md#intro), "
            "[the docs](https://example.com/x.md) and [above](#where-next).\n",
        )
        problems = [str(p) for p in check_knowledge(tmp_path)]
        assert problems == ["01-first.md:7: warning: link to '03-later.md': no such file here"]

    def test_missing_folder(self, tmp_path) -> None:
        assert [p.message for p in check_knowledge(tmp_path / "nope")] == [
            "knowledge folder not found"
        ]


class TestBundledAndRealCorpus:
    def test_bundled_knowledge_is_clean(self, bundled_knowledge) -> None:
        assert len(bundled_knowledge) == 23  # 20 questions, 3 about the webinar
        assert not bundled_knowledge.problems
        assert all(
            e.id.startswith("webinars/01-a-day-of-ai-engineer#") for e in bundled_knowledge.entries
        )

    @pytest.mark.corpus
    def test_real_webinars_load(self, shared_corpus) -> None:
        kb = load_knowledge(shared_corpus / "webinars")
        assert len(kb) == 91 + 4 * 3  # the questions, and 3 about each of the 4 webinars
        webinar2 = [e for e in kb.entries if e.path.startswith("02-")]
        assert webinar2[0].question == "Data sample size and limitations"  # a topic, not a question
        assert webinar2[0].recording_url == "https://www.youtube.com/watch?v=7NijlAdqk9U"
        assert [str(p) for p in kb.problems] == [
            "04-take-home-assignments.md:1: warning: no Q&A entries in this file"
        ]

    @pytest.mark.corpus
    def test_real_faq_loads_with_placeholders_and_duplicates_reported(self, shared_corpus) -> None:
        kb = load_knowledge(shared_corpus / "datatalksclub-faq")
        assert len(kb) == 1210  # 1,215 files less 5 placeholder entries
        placeholders = [p for p in kb.problems if "placeholder" in p.message]
        duplicates = [p for p in kb.problems if "duplicate question" in p.message]
        assert len(placeholders) == 5
        assert len(duplicates) == 2
        assert len({e.id for e in kb.entries}) == len(kb)


class TestAboutTheWebinar:
    """A page's metadata answers 'where is the recording?', 'who hosted it?', 'the slides?'."""

    W1 = "webinars/01-a-day-of-ai-engineer#about."

    def test_the_bundled_webinar_says_honestly_what_it_lacks(self, bundled_knowledge) -> None:
        recording = bundled_knowledge.get(self.W1 + "recording")
        slides = bundled_knowledge.get(self.W1 + "slides")
        host = bundled_knowledge.get(self.W1 + "host")
        assert recording is not None and slides is not None and host is not None

        assert recording.question == "Where is the recording of Webinar 1?"
        assert "How do I get the webinar recording?" in recording.aliases
        assert recording.answer.startswith(
            "Webinar 1 has no recording linked on its page yet. "
            "Its page links to [Maven](https://maven.com/p/bf6ef3/a-day-of-ai-engineer) and "
            "[AI Shipping Labs]("
        )
        assert "Where are the slides?" in slides.aliases
        assert "has no slides linked on its page" in slides.answer
        assert host.question == "Who hosted Webinar 1?"
        assert host.answer.startswith(
            "Webinar 1 was hosted by "
            "[Alexey Grigorev](https://www.linkedin.com/in/agrigorev/) on February 16, 2026."
        )
        assert host.source_title == "Webinar 1: A Day of an AI Engineer (February 16, 2026)"
        assert host.source_url.endswith("/01-a-day-of-ai-engineer.md")

    def test_recording_and_slides_links_are_given(self, tmp_path) -> None:
        write(
            tmp_path,
            "talks/02-role.md",
            "# Webinar 2: The Role\n\n- Date: February 24, 2026\n"
            "- [Recording on YouTube](https://www.youtube.com/watch?v=7Nij)\n"
            "- [Slides](slides/role.pdf)\n\n## Q&A\n\n### About\n\nA heading named About.\n",
        )
        kb = load_knowledge(tmp_path / "talks", base_url="https://github.com/o/r/blob/main")
        ids = [e.id for e in kb.entries]
        assert ids == [
            "talks/02-role#about",
            "talks/02-role#about.recording",
            "talks/02-role#about.slides",
            "talks/02-role#about.host",
        ]
        recording, slides = kb.entries[1], kb.entries[2]
        assert recording.answer == (
            "The recording of Webinar 2: "
            "[Recording on YouTube](https://www.youtube.com/watch?v=7Nij)."
        )
        assert recording.recording_url == "https://www.youtube.com/watch?v=7Nij"
        assert slides.answer == (
            "The slides of Webinar 2: [Slides](https://github.com/o/r/blob/main/slides/role.pdf)."
        )
        assert kb.tip_ids == frozenset()  # neither the short answer nor the about entries

    def test_a_question_the_page_answers_itself_gets_no_generated_twin(self, tmp_path) -> None:
        write(
            tmp_path,
            "w/07.md",
            "# Webinar 7: T\n\n- Host: H\n\n## Q&A\n\n### How do I get the webinar recording?"
            "\n\nOn the course page.\n",
        )
        ids = [e.id for e in load_knowledge(tmp_path / "w").entries]
        assert ids == [
            "w/07#how-do-i-get-the-webinar-recording",
            "w/07#about.slides",
            "w/07#about.host",
        ]

    def test_a_page_without_questions_still_says_who_hosted_it(self, tmp_path) -> None:
        write(tmp_path, "w/04.md", "# Webinar 4: Later\n\n- Host: Someone\n\n## Description\n")
        kb = load_knowledge(tmp_path / "w")
        assert [e.id for e in kb.entries] == [
            "w/04#about.recording",
            "w/04#about.slides",
            "w/04#about.host",
        ]
        assert [str(p) for p in kb.problems] == ["04.md:1: warning: no Q&A entries in this file"]
