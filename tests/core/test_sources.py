"""Several sources: their specs, stable ids wherever a folder sits, scopes and old ids."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.cli import main
from bot.errors import ConfigError
from bot.knowledge import (
    SourceSpec,
    bundled_knowledge_dir,
    entry_id_mapping,
    load_knowledge,
    parse_sources,
)
from bot.settings import load_core_settings, parse_channel_knowledge

WEBINAR = "# Webinar 3: Talk\n\n- Date: May 5, 2026\n\n## Q&A\n\n### {q}\n\n{a}\n"
FAQ = "---\nid: {id}\nquestion: {q}\n---\n\n{a}\n"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def faq_folder(root: Path) -> Path:
    write(
        root / "_questions/llm-zoomcamp/_metadata.yaml",
        "course_name: LLM Zoomcamp\nsections:\n  - id: general\n    name: General\n",
    )
    write(
        root / "_questions/llm-zoomcamp/general/001_aa_deadline.md",
        FAQ.format(id="aa11", q="When is the deadline?", a="See the course page."),
    )
    write(
        root / "_questions/mlops-zoomcamp/general/001_bb_deadline.md",
        FAQ.format(id="bb22", q="When is the deadline?", a="Also on the course page."),
    )
    return root


class TestSpecs:
    def test_names_default_to_the_folder_or_repository(self, tmp_path) -> None:
        specs = parse_sources(
            f"{tmp_path / 'webinars'}, faq=git+https://github.com/DataTalksClub/faq.git@main#_questions;tips=on,"
            "git+file:///srv/repos/course-notes.git"
        )
        assert [s.name for s in specs] == ["webinars", "faq", "course-notes"]
        assert specs[0] == SourceSpec("webinars", "folder", str(tmp_path / "webinars"))
        assert specs[1] == SourceSpec(
            "faq",
            "git",
            "https://github.com/DataTalksClub/faq.git",
            ref="main",
            subfolder="_questions",
            tips=True,
        )
        assert specs[2].location == "file:///srv/repos/course-notes.git" and specs[2].ref is None
        assert str(specs[1]) == (
            "faq=git+https://github.com/DataTalksClub/faq.git@main#_questions;tips=on"
        )

    @pytest.mark.parametrize(
        ("text", "message"),
        [
            ("a=/x/one, a=/y/two", "two sources are named 'a'"),
            ("/x/webinars, /y/webinars", "two sources are named 'webinars'"),
            ("/x/a;colour=red", "unknown option 'colour=red'"),
            ("/x/a;base=ftp://h/", "base= needs an http"),
            ("git+ftp://h/r.git", r"a git source is git\+https://"),
            ("git+https://github.com/o/r@-rf", "is not a branch, tag or commit"),
            ("/x/my notes", "cannot name a source"),
            ("/x/a#../../etc", "must be a folder inside the source"),
        ],
    )
    def test_mistakes_are_named(self, text, message) -> None:
        with pytest.raises(ValueError, match=message):
            parse_sources(text)

    def test_settings_report_a_bad_source_with_the_others(self) -> None:
        with pytest.raises(ConfigError) as info:
            load_core_settings({"KNOWLEDGE_DIR": "a=/x, a=/y", "KNOWLEDGE_REFRESH": "soon"})
        assert len(info.value.problems) == 2
        assert "KNOWLEDGE_DIR='a=/x, a=/y' is invalid: two sources are named 'a'" in str(info.value)

    def test_a_relative_folder_links_to_its_absolute_path(self, tmp_path, monkeypatch, capsys):
        write(tmp_path / "talks/01-a.md", WEBINAR.format(q="Is it relative?", a="It is."))
        monkeypatch.chdir(tmp_path)

        assert main(["ask", "--json", "--knowledge", "talks", "is it relative?"]) == 0

        assert f'"source_url": "{(tmp_path / "talks").as_uri()}/01-a.md#is-it-relative' in (
            capsys.readouterr().out
        )

    def test_repeated_knowledge_options_all_count(self, tmp_path, capsys) -> None:
        write(tmp_path / "one/01-a.md", WEBINAR.format(q="What is in the first?", a="One."))
        write(tmp_path / "two/02-b.md", WEBINAR.format(q="What is in the second?", a="Two."))
        args = ["ask", "--json", "--knowledge", str(tmp_path / "one")]
        args += ["--knowledge", str(tmp_path / "two"), "what is in the second?"]

        assert main(args) == 0

        assert '"id": "two/02-b#what-is-in-the-second"' in capsys.readouterr().out


class TestIds:
    def test_ids_do_not_depend_on_where_the_folder_sits(self, tmp_path) -> None:
        here = faq_folder(tmp_path / "a" / "faq")
        there = tmp_path / "b" / "deeper" / "faq"
        shutil.copytree(here, there)

        ids_here = [e.id for e in load_knowledge(here).entries]
        ids_there = [e.id for e in load_knowledge(there).entries]

        assert ids_here == ids_there
        assert ids_here[0] == "faq/_questions/llm-zoomcamp/general/001_aa_deadline#aa11"

    def test_a_name_given_in_the_spec_prefixes_the_ids(self, tmp_path) -> None:
        faq_folder(tmp_path / "checkout-2026")
        knowledge = load_knowledge(parse_sources(f"faq={tmp_path / 'checkout-2026'}"))
        assert {e.source for e in knowledge.entries} == {"faq"}
        assert knowledge.entries[0].id.startswith("faq/_questions/")

    def test_a_subfolder_is_read_alone_and_ids_stay_relative_to_the_location(
        self, tmp_path
    ) -> None:
        faq_folder(tmp_path / "faq")
        write(tmp_path / "faq/notes/x.md", WEBINAR.format(q="Not read?", a="Not read."))
        knowledge = load_knowledge(parse_sources(f"{tmp_path / 'faq'}#_questions/llm-zoomcamp"))
        assert [e.id for e in knowledge.entries] == [
            "faq/_questions/llm-zoomcamp/general/001_aa_deadline#aa11"
        ]

    def test_the_bundled_ids_are_those_of_before(self, bundled_knowledge) -> None:
        assert bundled_knowledge.source_names == ("webinars",)
        assert bundled_knowledge.get(
            "webinars/01-a-day-of-ai-engineer#is-the-data-scientist-role-outdated"
        )
        assert (bundled_knowledge_dir() / "webinars" / "01-a-day-of-ai-engineer.md").is_file()

    def test_several_sources_load_together_with_their_own_links(self, tmp_path) -> None:
        faq_folder(tmp_path / "faq")
        write(tmp_path / "talks/03-talk.md", WEBINAR.format(q="Is it long?", a="Yes."))
        specs = parse_sources(
            f"{tmp_path / 'faq'};base=https://github.com/o/faq/blob/main, {tmp_path / 'talks'}"
        )

        knowledge = load_knowledge(specs)

        faq = knowledge.get("faq/_questions/llm-zoomcamp/general/001_aa_deadline#aa11")
        talk = knowledge.get("talks/03-talk#is-it-long")
        assert faq is not None and talk is not None
        assert faq.source_url == (
            "https://github.com/o/faq/blob/main/_questions/llm-zoomcamp/general/001_aa_deadline.md#aa11"
        )
        assert talk.source_url.startswith("file://")
        assert knowledge.source_names == ("faq", "talks")


class TestOldIds:
    def test_an_old_id_maps_when_exactly_one_new_id_ends_with_it(self) -> None:
        new = [
            "webinars/02-defining-the-role#data-sample-size",
            "faq/_questions/llm-zoomcamp/general/001_x#aa11",
            "faq/_questions/mlops-zoomcamp/general/001_x#aa11",  # same ending: ambiguous
        ]
        old = [
            "02-defining-the-role#data-sample-size",
            "_questions/llm-zoomcamp/general/001_x#aa11",
            "general/001_x#aa11",
            "webinars/02-defining-the-role#data-sample-size",  # still current
            "gone#x",
        ]

        assert entry_id_mapping(new, old) == {
            "02-defining-the-role#data-sample-size": "webinars/02-defining-the-role#data-sample-size",
            "_questions/llm-zoomcamp/general/001_x#aa11": "faq/_questions/llm-zoomcamp/general/001_x#aa11",
        }

    def test_without_old_ids_every_possible_old_id_is_mapped(self) -> None:
        mapping = entry_id_mapping(["faq/_questions/c/s/001_x#a/b"])
        assert mapping == {
            "_questions/c/s/001_x#a/b": "faq/_questions/c/s/001_x#a/b",
            "c/s/001_x#a/b": "faq/_questions/c/s/001_x#a/b",
            "s/001_x#a/b": "faq/_questions/c/s/001_x#a/b",
            "001_x#a/b": "faq/_questions/c/s/001_x#a/b",
        }

    @pytest.mark.corpus
    def test_the_issues_example_maps_back(self, shared_corpus) -> None:
        """A vote logged as 02-defining-the-role#… (KNOWLEDGE_DIR=…/webinars) is not orphaned."""
        knowledge = load_knowledge(shared_corpus / "webinars")
        old = "02-defining-the-role#data-sample-size-and-limitations"
        assert entry_id_mapping([e.id for e in knowledge.entries], [old]) == {
            old: "webinars/" + old
        }


class TestScopes:
    def test_channel_knowledge_parses_into_a_mapping(self) -> None:
        assert parse_channel_knowledge(
            "C0123=data-engineering-zoomcamp+webinars, 1122334455=faq/_questions/mlops-zoomcamp"
        ) == {
            "C0123": ("data-engineering-zoomcamp", "webinars"),
            "1122334455": ("faq/_questions/mlops-zoomcamp",),
        }
        for bad in ("C1", "=x", "C1=", "C1=a,C1=b"):
            with pytest.raises(ValueError):
                parse_channel_knowledge(bad)
        settings = load_core_settings({"CHANNEL_KNOWLEDGE": "C1=webinars"})
        assert settings.channel_knowledge == {"C1": ("webinars",)}

    def test_a_scope_is_a_source_a_course_folder_or_a_path(self, tmp_path) -> None:
        faq_folder(tmp_path / "faq")
        write(tmp_path / "talks/03-talk.md", WEBINAR.format(q="Is it long?", a="Yes."))
        knowledge = load_knowledge(parse_sources(f"{tmp_path / 'faq'}, {tmp_path / 'talks'}"))

        def ids(*names: str) -> list[str]:
            return sorted(knowledge.entries[i].id for i in knowledge.scope(names))

        assert ids("llm-zoomcamp") == ["faq/_questions/llm-zoomcamp/general/001_aa_deadline#aa11"]
        assert ids("faq/_questions/mlops-zoomcamp") == [
            "faq/_questions/mlops-zoomcamp/general/001_bb_deadline#bb22"
        ]
        assert len(ids("talks")) == 4  # the question; the recording, slides and host entries
        assert len(ids("llm-zoomcamp", "talks")) == 5
        assert knowledge.unknown_scopes(["talks", "llm-zoomcamp", "mlops", "faq/_q"]) == [
            "mlops",
            "faq/_q",
        ]

    def test_check_names_unknown_channel_scopes(self, tmp_path, monkeypatch, capsys) -> None:
        faq_folder(tmp_path / "faq")
        monkeypatch.setenv("KNOWLEDGE_DIR", str(tmp_path / "faq"))
        monkeypatch.setenv("CHANNEL_KNOWLEDGE", "C1=llm-zoomcamp, C2=mlops-zoomcap")

        assert main(["check"]) == 1

        out = capsys.readouterr().out
        assert "CHANNEL_KNOWLEDGE:0: error: C2=mlops-zoomcap: names no source" in out
        assert "C1=" not in out

    def test_labels_tell_near_identical_entries_apart(self, tmp_path) -> None:
        knowledge = load_knowledge(faq_folder(tmp_path / "faq"))
        assert [e.source_title for e in knowledge.entries] == [
            "LLM Zoomcamp › General",
            "mlops-zoomcamp › general",  # no _metadata.yaml: the folder names
        ]


def test_unknown_channel_scopes_stop_the_start(bundled_knowledge) -> None:
    from bot.knowledge import check_channel_knowledge

    check_channel_knowledge(bundled_knowledge, {"C1": ("webinars",)})
    with pytest.raises(ConfigError) as info:
        check_channel_knowledge(bundled_knowledge, {"C1": ("webinars", "mlops-zoomcamp")})
    assert info.value.problems == [
        "CHANNEL_KNOWLEDGE: C1=mlops-zoomcamp names no source, folder or path of the knowledge "
        "(sources: webinars)"
    ]
