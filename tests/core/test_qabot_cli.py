"""The qabot command line: what a person reads, the JSON contract, and bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from bot.evaluation import read_cases
from bot.knowledge import load_knowledge

W1 = "webinars/01-a-day-of-ai-engineer#"
EVAL = Path(__file__).resolve().parents[1] / "eval"


def qabot(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KNOWLEDGE", "ANSWER"))}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], input=stdin, capture_output=True, env=env, timeout=60
    )


class TestAsk:
    def test_prints_question_answer_and_source(self, capsys) -> None:
        assert main(["ask", "which tools do you recommend for evaluation?"]) == 0
        out = capsys.readouterr().out
        assert out.startswith("What practical tools do you recommend for evaluation?")
        assert "Evidently" in out
        assert "Source: Webinar 1: A Day of an AI Engineer (February 16, 2026)" in out
        assert "#what-practical-tools-do-you-recommend-for-evaluation" in out

    def test_no_confident_match_shows_suggestions(self, capsys) -> None:
        assert main(["ask", "--threshold", "0.99", "is data science dead"]) == 0
        out = capsys.readouterr().out
        assert out.startswith("I don't have a confident answer to: is data science dead")
        assert "Did you mean one of these?" in out
        assert "1. Is the Data Scientist role outdated?" in out

    def test_base_url_builds_links(self, capsys) -> None:
        base = "https://github.com/o/r/blob/main/knowledge/webinars"  # the bundled source's folder
        main(["ask", "--base-url", base, "DS outdated?"])
        out = capsys.readouterr().out
        expected = "https://github.com/o/r/blob/main/knowledge/webinars/01-a-day-of-ai-engineer.md#is-the-data-scientist-role-outdated"
        assert expected in out

    def test_json_contract(self, capsys) -> None:
        assert main(["ask", "--json", "DS outdated?", "kubernetes ingress 404"]) == 0
        first, second = (json.loads(line) for line in capsys.readouterr().out.splitlines())
        assert set(first) == {"question", "answered", "id", "score", "candidates", "source_url"}
        assert first["question"] == "DS outdated?"
        assert first["answered"] is True
        assert first["id"] == W1 + "is-the-data-scientist-role-outdated"
        assert first["source_url"].endswith("#is-the-data-scientist-role-outdated")
        assert 0.0 <= first["score"] <= 1.0
        assert len(first["candidates"]) == 5
        assert first["candidates"][0] == {
            "id": first["id"],
            "score": first["candidates"][0]["score"],
        }
        assert second["answered"] is False
        assert 0.0 <= second["score"] < 0.45

    def test_json_reads_stdin_one_question_per_line(self) -> None:
        done = qabot("ask", "--json", stdin=b"DE to AI engineer?\n\n   \nis nlp legacy tech now?\n")
        assert done.returncode == 0, done.stderr
        records = [json.loads(line) for line in done.stdout.splitlines()]
        assert [r["question"] for r in records] == ["DE to AI engineer?", "is nlp legacy tech now?"]
        assert all(r["answered"] for r in records)

    def test_a_reader_that_stops_early_gets_no_traceback(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("KNOWLEDGE", "ANSWER"))}
        reader = subprocess.Popen(
            [sys.executable, "-m", "bot", "ask", "--json"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        assert reader.stdin is not None and reader.stdout is not None
        reader.stdin.write(b"is nlp legacy tech now?\n" * 2000)  # far more than a pipe holds
        reader.stdin.close()
        first = json.loads(reader.stdout.readline())
        reader.stdout.close()  # as `| head -1` does
        reader.wait(timeout=60)

        assert first["answered"] is True
        assert reader.returncode == 141
        assert reader.stderr is not None and b"Traceback" not in reader.stderr.read()

    @pytest.mark.parametrize(
        ("args", "stdin", "message"),
        [
            (["ask", ""], None, "empty question"),
            (["ask"], None, "give a question"),
            (["ask", "x" * 102_400], None, "102,400 characters long; the limit is 2,000"),
            (["ask", "--json"], "x" * 102_400 + "\n", "line 1: the question is 102,400"),
            (
                ["ask", "--json"],
                b"\xff\xfe\x00\x01binary\n",
                "line 1: the question is not readable",
            ),
            (["ask", "--knowledge", "/no/such/folder", "hi"], None, "knowledge folder not found"),
            (["ask", "--threshold", "7", "hi"], None, "must be between 0 and 1"),
            (["eval", "/no/such.jsonl"], None, "evaluation file not found"),
        ],
    )
    def test_bad_input_is_a_message_and_exit_2(self, args, stdin, message) -> None:
        data = stdin.encode() if isinstance(stdin, str) else stdin
        done = qabot(*args, stdin=data)
        assert done.returncode == 2
        assert message in done.stderr.decode()
        assert b"Traceback" not in done.stderr


class TestCheck:
    def test_bundled_knowledge_is_ok(self, capsys) -> None:
        assert main(["check"]) == 0
        out = capsys.readouterr().out
        # Webinar 1 points to webinar 2, which is not bundled: a warning, not an error.
        assert "01-a-day-of-ai-engineer.md:88: warning: link to '02-defining-the-role.md'" in out
        assert "23 entries in 1 file(s), 1 warning(s), OK" in out  # 3 about the webinar

    def test_errors_give_exit_1(self, tmp_path, capsys) -> None:
        (tmp_path / "bad.md").write_text("## no title\n", encoding="utf-8")
        assert main(["check", str(tmp_path)]) == 1
        assert (
            "bad.md:1: error: heading before the '# Webinar N: Title' line"
            in capsys.readouterr().out
        )


class TestEval:
    def test_metrics_and_failures(self, tmp_path, capsys) -> None:
        cases = tmp_path / "cases.jsonl"
        cases.write_text(
            "\n".join(
                json.dumps(c)
                for c in [
                    {"q": "DS outdated?", "expected": W1 + "is-the-data-scientist-role-outdated"},
                    {
                        "q": "recommended eval tool?",
                        "expected": W1 + "is-the-data-scientist-role-outdated",
                    },
                    {"q": "asdkjh qwe zzxcv", "expected": None},
                ]
            ),
            encoding="utf-8",
        )
        assert main(["eval", str(cases), "--json"]) == 0
        metrics = json.loads(capsys.readouterr().out)
        assert metrics["hit@1"] == 0.5
        assert metrics["refused_out_of_scope"] == 1.0
        assert metrics["balanced_accuracy"] == 0.75
        assert main(["eval", str(cases), "--min-hit1", "0.9"]) == 1
        assert "FAIL: hit@1 0.5 < floor 0.9" in capsys.readouterr().out

    def test_unknown_expected_id_is_reported(self, tmp_path) -> None:
        cases = tmp_path / "cases.jsonl"
        cases.write_text('{"q": "hi there", "expected": "nope#nope"}\n', encoding="utf-8")
        done = qabot("eval", str(cases))
        assert done.returncode == 2
        assert "expected id 'nope#nope' is not in the knowledge base" in done.stderr.decode()


def test_evaluation_gate_holds_on_the_bundled_knowledge(capsys) -> None:
    """The CI gate: hit@1 and balanced accuracy stay above the floors recorded in the repo."""
    status = main(["eval", str(EVAL / "questions.jsonl"), "--floors", str(EVAL / "floors.json")])
    assert status == 0, capsys.readouterr().out


@pytest.mark.parametrize(
    "name",
    ["questions", "holdout/bundled", "holdout/bundled-2", "holdout/bundled-3", "holdout/bundled-4"],
)
def test_bundled_evaluation_sets_name_only_entries_that_exist(name, bundled_knowledge) -> None:
    cases = read_cases(EVAL / f"{name}.jsonl")

    unknown = [c.line for c in cases for i in c.expected if bundled_knowledge.get(i) is None]
    assert unknown == []
    assert any(not c.expected for c in cases)  # each measures refusing too
    assert len({c.question for c in cases}) == len(cases)


@pytest.mark.corpus
@pytest.mark.parametrize(
    ("name", "folder"),
    [
        ("webinars", "webinars"),
        ("faq", "datatalksclub-faq"),
        ("holdout/webinars", "webinars"),
        ("holdout/faq", "datatalksclub-faq"),
        ("holdout/webinars-2", "webinars"),
        ("holdout/webinars-3", "webinars"),
        ("slack-de", "datatalksclub-faq/_questions/data-engineering-zoomcamp"),
        ("holdout/slack-ml", "datatalksclub-faq/_questions/machine-learning-zoomcamp"),
    ],
)
def test_corpus_evaluation_sets_name_only_entries_that_exist(name, folder, shared_corpus) -> None:
    cases = read_cases(EVAL / f"{name}.jsonl")
    knowledge = load_knowledge(shared_corpus / folder)

    unknown = [c.line for c in cases for i in c.expected if knowledge.get(i) is None]
    assert unknown == []
    assert any(not c.expected for c in cases)
    assert len({c.question for c in cases}) == len(cases)


def test_bench_prints_start_reload_and_latency_figures(capsys, monkeypatch, tmp_path) -> None:
    # Small: every start is a fresh process, as a worker's is.
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    args = ["--sizes", "200", "--queries", "20", "--runs", "1"]
    assert main(["bench", "--generated", *args]) == 0
    out = capsys.readouterr().out
    assert "generated text" in out
    for figure in ("cold start", "warm start", "longest event-loop stall", "word-vectors"):
        assert figure in out
    assert "not measured: the entries are not encoded yet" in out  # no minutes of encoding
