"""Options shared by the commands that load knowledge: --knowledge, --threshold, --base-url ..."""

from __future__ import annotations

import argparse
import dataclasses

from bot.errors import UsageError
from bot.knowledge import KnowledgeBase, KnowledgeLoader, SourceSpec, parse_sources
from bot.matching import Matcher
from bot.semantic import open_encoder
from bot.settings import CoreSettings, load_core_settings


def add_knowledge_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--knowledge",
        metavar="SOURCE",
        action="append",
        help="a knowledge folder or git+https://… repository, [NAME=]LOCATION; repeat it or "
        "separate sources with commas (env KNOWLEDGE_DIR; default: the bundled knowledge/)",
    )
    parser.add_argument(
        "--threshold",
        type=_threshold,
        help="confidence needed to answer, 0-1 (env ANSWER_THRESHOLD; default 0.45)",
    )
    parser.add_argument(
        "--base-url",
        metavar="URL",
        help="where the knowledge files are published, for source links (env KNOWLEDGE_BASE_URL)",
    )
    parser.add_argument(
        "--embedding-model",
        metavar="NAME",
        help="'word-vectors' for the bundled word vectors, 'off' for lexical matching only, or "
        "a folder holding an ONNX sentence model (env EMBEDDING_MODEL; default: the bundled "
        "sentence model)",
    )


def _threshold(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError("must be between 0 and 1")
    return value


def sources_from(values: list[str] | None) -> tuple[SourceSpec, ...] | None:
    """The sources named by repeated ``--knowledge`` options; None when there are none."""
    if not values:
        return None
    try:
        return parse_sources(",".join(values))
    except ValueError as exc:
        raise UsageError(f"--knowledge: {exc}") from None


def settings_from(args: argparse.Namespace) -> CoreSettings:
    settings = load_core_settings()
    return dataclasses.replace(
        settings,
        knowledge_sources=sources_from(args.knowledge) or settings.knowledge_sources,
        threshold=settings.threshold if args.threshold is None else args.threshold,
        base_url=args.base_url or settings.base_url,
        embedding_model=args.embedding_model or settings.embedding_model,
    )


def loader_from(settings: CoreSettings) -> KnowledgeLoader:
    try:
        return KnowledgeLoader(
            settings.knowledge_sources, data_dir=settings.data_dir, base_url=settings.base_url
        )
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def knowledge_from(settings: CoreSettings) -> KnowledgeBase:
    """The knowledge, from the parse cache where files are unchanged; a bad file raises."""
    loader = loader_from(settings)
    missing = [s.root for s in loader.sources if s.spec.kind == "folder" and not s.root.is_dir()]
    if missing:
        raise UsageError(f"knowledge folder not found: {missing[0]}")
    return loader.load(strict=True)


def matcher_from(args: argparse.Namespace) -> Matcher:
    settings = settings_from(args)
    knowledge = knowledge_from(settings)  # before the model: a bad folder fails at once
    encoder = open_encoder(settings.embedding_model, settings.embedding_cache_dir)
    return Matcher(knowledge, settings.threshold, encoder)
