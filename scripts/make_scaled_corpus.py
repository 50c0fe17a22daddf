"""Write a course-FAQ folder of N entries, scaled up from the real FAQ, to measure loading.

    python scripts/make_scaled_corpus.py 10000 /tmp/faq-10k [--corpus DIR]

DIR defaults to ../shared/corpus/datatalksclub-faq beside the checkout.

The entries are those of ``bot.benchmark.scaled_entries`` (the originals, then variants with
other entries' sentences and new rare words mixed in), each written as a FAQ file in the
course and section folder of the entry it was made from, with the courses' ``_metadata.yaml``.
The output folder is for measuring only: it is third-party text, never to be committed.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import shutil
import sys
from pathlib import Path, PurePosixPath

from bot.benchmark import scaled_entries
from bot.knowledge import load_knowledge

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "datatalksclub-faq"


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:50]


def quoted(text: str) -> str:
    """A YAML single-quoted scalar."""
    return "'" + text.replace("'", "''") + "'"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("count", type=int)
    parser.add_argument("output", type=Path)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    args = parser.parse_args()
    if args.output.exists() and any(args.output.iterdir()):
        parser.error(f"{args.output} is not empty")
    seed = list(load_knowledge(args.corpus).entries)
    for meta in args.corpus.glob("_questions/*/_metadata.yaml"):
        target = args.output / meta.relative_to(args.corpus)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(meta, target)
    for i, entry in enumerate(scaled_entries(seed, args.count)):
        base = seed[i % len(seed)]  # scaled_entries builds entry i from this one
        folder = args.output / PurePosixPath(base.path).parent
        folder.mkdir(parents=True, exist_ok=True)
        anchor = hashlib.blake2b(f"{i}".encode(), digest_size=5).hexdigest()
        text = f"---\nid: {anchor}\nquestion: {quoted(entry.question)}\n---\n\n{entry.answer}\n"
        (folder / f"{i:06d}_{anchor}_{slug(entry.question)}.md").write_text(text, encoding="utf-8")
    print(f"wrote {args.count} FAQ files under {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
