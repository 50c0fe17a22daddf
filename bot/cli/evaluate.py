"""``qabot eval FILE.jsonl``: hit@1, hit@3, MRR and abstaining metrics, with optional floors."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from bot.cli.options import add_knowledge_options, matcher_from
from bot.errors import UsageError
from bot.evaluation import Report, evaluate, read_cases

GATED = ("hit@1", "balanced_accuracy")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "eval",
        help="evaluate matching on labelled questions",
        description='Each line of FILE: {"q": "...", "expected": "<entry id>", a list of ids '
        "(any one is right) or null (the bot should refuse). "
        "Exit status 1 when a metric is below its floor.",
    )
    parser.add_argument("file", type=Path, metavar="FILE.jsonl")
    parser.add_argument("--floors", type=Path, metavar="FILE", help='JSON {"hit@1": x, ...}')
    parser.add_argument("--min-hit1", type=float, metavar="X")
    parser.add_argument("--min-balanced-accuracy", type=float, metavar="X")
    parser.add_argument("--json", action="store_true", help="print the metrics as JSON")
    parser.add_argument("--failures", type=int, default=20, metavar="N", help="show N failures")
    add_knowledge_options(parser)
    parser.set_defaults(func=run)


def floors_from(args: argparse.Namespace) -> dict[str, float]:
    floors: dict[str, float] = {}
    if args.floors:
        try:
            floors.update(json.loads(args.floors.read_text(encoding="utf-8")))
        except (OSError, json.JSONDecodeError) as exc:
            raise UsageError(f"{args.floors}: cannot read floors: {exc}") from None
    if args.min_hit1 is not None:
        floors["hit@1"] = args.min_hit1
    if args.min_balanced_accuracy is not None:
        floors["balanced_accuracy"] = args.min_balanced_accuracy
    return {k: float(v) for k, v in floors.items() if k in GATED}


def render(report: Report, limit: int, matching: str) -> str:
    lines = [f"{'matching':22} {matching}"]
    lines += [f"{name:22} {value}" for name, value in report.as_dict().items()]
    if report.failures and limit:
        shown = min(limit, len(report.failures))
        lines += ["", f"failures ({len(report.failures)}, showing {shown}):"]
        for f in report.failures[:limit]:
            rank = f"rank {f.rank}" if f.rank else "not in top 5"
            lines.append(
                f"  line {f.case.line}: {f.case.question!r}\n"
                f"      expected {' or '.join(f.case.expected) or None}, got {f.got} "
                f"({rank}, score {f.score:.2f})"
            )
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    cases = read_cases(args.file)
    floors = floors_from(args)
    matcher = matcher_from(args)
    report = evaluate(matcher, cases)
    metrics = report.as_dict()
    meaning = matcher.encoder.name if matcher.encoder else "lexical only"
    matching = f"{meaning}, threshold {matcher.threshold}"
    print(json.dumps(metrics) if args.json else render(report, args.failures, matching))
    below = [f"{k} {metrics[k]} < floor {v}" for k, v in floors.items() if metrics[k] < v]
    for line in below:
        print(f"FAIL: {line}")
    return 1 if below else 0
