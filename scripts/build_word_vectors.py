"""Build bot/data/word-vectors.npz, the word vectors of EMBEDDING_MODEL=word-vectors.

Each English word is encoded on its own by a sentence model (all-MiniLM-L6-v2), so a question's
words carry what the model knows of their meaning without running the model per question. The
vectors are reduced to 128 dimensions (PCA), weighted down for common words (a / (a + frequency),
as in SIF sentence embeddings) and compressed by product quantisation: 16 one-byte codes a word.

The words are encoded with ``bot.sentence_model``: the bundled int8 model by default, or an ONNX
sentence model folder (``--model``; an fp32 export, ``scripts/build_sentence_model.py --fp32``,
follows the PyTorch model exactly). Needs wordfreq and scikit-learn (build time only):
    pip install -e . wordfreq==3.1.1 scikit-learn
    python scripts/build_word_vectors.py [--model FOLDER] [--out bot/data/word-vectors.npz]
It takes about 15 minutes on one CPU core. The shipped file was built from the PyTorch model, so a
rebuild with the int8 model gives slightly different vectors.
"""

from __future__ import annotations

import argparse
import re
import time
from pathlib import Path

import numpy as np
from sklearn.cluster import KMeans
from wordfreq import iter_wordlist, word_frequency

from bot.sentence_model import SENTENCE_MODEL_DIR, SentenceModel

MIN_FREQUENCY = 2e-8  # wordfreq's "large" English list down to about 217,000 words
WORD = re.compile(r"[a-z][a-z0-9+#'-]*")
DIMENSIONS = 128
SIF_A = 1e-4  # weight a / (a + frequency): "the" counts for little, "hobbyist" for much
CODES = 16  # bytes a word; each codes 8 dimensions with one of 256 centroids
# Words of the field that wordfreq (2021 data) lacks or splits.
FIELD_WORDS = """
chatgpt gpt gpt4 gpt-4 openai langchain llamaindex llm llms mlops devops dataops rag agentic
agents embeddings embedding finetuning fine-tuning finetune fine-tune pyspark spark kafka airflow
dbt bigquery snowflake databricks terraform kubernetes k8s docker dockerfile postgres postgresql
sql nosql mongodb redis elasticsearch opensearch pinecone qdrant weaviate chroma pgvector faiss
vector vectors huggingface transformers pytorch tensorflow keras sklearn scikit-learn xgboost
lightgbm pandas numpy polars jupyter notebook notebooks colab streamlit gradio fastapi flask
django api apis sdk cli gcp aws azure lambda sagemaker bedrock vertex anthropic claude gemini
llama mistral qwen deepseek ollama prompt prompts prompting chatbot chatbots copilot cursor vscode
github gitlab git ci cd cicd pipeline pipelines etl elt ingestion lakehouse datalake warehouse
mlflow wandb evals eval evaluation observability monitoring guardrails hallucination
hallucinations tokenizer tokens token multimodal ocr nlp cv genai ai ml ds de mle swe backend
frontend fullstack microservices serverless saas startup startups freelance freelancing
freelancer portfolio resume cv linkedin leetcode interview interviews internship junior senior
zoomcamp bootcamp webinar webinars cohort homework capstone repo repos yaml json csv parquet
""".split()


def vocabulary() -> tuple[list[str], np.ndarray]:
    words: list[str] = []
    for word in iter_wordlist("en", "large"):
        if word_frequency(word, "en", "large") < MIN_FREQUENCY:
            break
        if WORD.fullmatch(word) and len(word) < 30:
            words.append(word)
    known = set(words)
    words += [w for w in dict.fromkeys(FIELD_WORDS) if w not in known]
    frequencies = np.array([word_frequency(w, "en", "large") for w in words])
    return words, frequencies


def quantise(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    width = vectors.shape[1] // CODES
    codes = np.zeros((len(vectors), CODES), np.uint8)
    books = np.zeros((CODES, 256, width), np.float32)
    for j in range(CODES):
        part = vectors[:, j * width : (j + 1) * width]
        kmeans = KMeans(256, n_init=1, max_iter=50, random_state=0).fit(part[::2])
        codes[:, j] = kmeans.predict(part)
        books[j] = kmeans.cluster_centers_
    return codes, books


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--model",
        type=Path,
        default=SENTENCE_MODEL_DIR,
        help="folder holding an ONNX sentence model (default: the bundled one)",
    )
    parser.add_argument("--out", type=Path, default=Path("bot/data/word-vectors.npz"))
    args = parser.parse_args()
    started = time.monotonic()
    words, frequencies = vocabulary()
    print(f"{len(words)} words")
    model = SentenceModel(args.model)  # a word at a time: its vector depends on it alone
    raw = model.encode(words).astype(np.float64)
    print(f"encoded in {time.monotonic() - started:.0f} s")
    centred = raw - raw.mean(axis=0)
    _, _, axes = np.linalg.svd(centred[::3], full_matrices=False)
    reduced = centred @ axes[:DIMENSIONS].T * (SIF_A / (SIF_A + frequencies))[:, None]
    codes, books = quantise(reduced.astype(np.float32))
    order = np.argsort(np.array(words))  # sorted, so a lookup is a binary search
    np.savez_compressed(
        args.out,
        words=np.array(words)[order].astype("S"),
        codes=codes[order],
        books=books.astype(np.float16),
        source=np.array(f"{model.name}; wordfreq large en >= {MIN_FREQUENCY}"),
    )
    size = args.out.stat().st_size / 1e6
    print(f"wrote {args.out} ({size:.1f} MB) in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
