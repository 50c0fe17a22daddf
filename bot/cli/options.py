"""Options shared by the commands that load knowledge: --knowledge, --threshold, --base-url ..."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from bot.errors import UsageError
from bot.knowledge import KnowledgeBase, load_knowledge
from bot.matching import Matcher
from bot.semantic import open_encoder
from bot.settings import CoreSettings, load_core_settings


def add_knowledge_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--knowledge",
        metavar="DIR",
        type=Path,
        help="knowledge folder (env KNOWLEDGE_DIR; default: the bundled knowledge/)",
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


def settings_from(args: argparse.Namespace) -> CoreSettings:
    settings = load_core_settings()
    return dataclasses.replace(
        settings,
        knowledge_dir=args.knowledge or settings.knowledge_dir,
        threshold=settings.threshold if args.threshold is None else args.threshold,
        base_url=args.base_url or settings.base_url,
        embedding_model=args.embedding_model or settings.embedding_model,
    )


def knowledge_from(settings: CoreSettings) -> KnowledgeBase:
    if not settings.knowledge_dir.is_dir():
        raise UsageError(f"knowledge folder not found: {settings.knowledge_dir}")
    return load_knowledge(settings.knowledge_dir, base_url=settings.base_url)


def matcher_from(args: argparse.Namespace) -> Matcher:
    settings = settings_from(args)
    knowledge = knowledge_from(settings)  # before the model: a bad folder fails at once
    encoder = open_encoder(settings.embedding_model, settings.embedding_cache_dir)
    return Matcher(knowledge, settings.threshold, encoder)
