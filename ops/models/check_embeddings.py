#!/usr/bin/env python3
"""Checks the two sentence-embedding models with onnxruntime and records what
Agora's Rust side needs to reproduce them.

For paraphrase-MiniLM-L3-v2 (fp32) and all-MiniLM-L6-v2 (int8), with the
shared WordPiece tokenizer.json:
- a paraphrase pair scores a higher cosine than an unrelated pair, for every
  triple below;
- padding a batch does not change a sentence's vector (the pooling honours
  attention_mask);
- for the paraphrase model, its pooled output equals the masked mean of its
  token output (so either can be used).

Writes <dir>/embeddings-check.json: input/output names and shapes of each
model, how to pool, the cosines, and the vectors of the test sentences (for
comparing tract with onnxruntime). Exits non-zero on any failure.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer

# (anchor, paraphrase, unrelated)
TRIPLES = [
    ("A man is playing a guitar.", "Someone is strumming a guitar.", "The stock market fell sharply today."),
    (
        "How do I reset my password?",
        "What are the steps to change my forgotten password?",
        "The recipe needs two cups of flour and an egg.",
    ),
    (
        "The cat sat quietly on the warm windowsill.",
        "A cat was resting on the sunny window ledge.",
        "Quarterly revenue grew by twelve percent.",
    ),
]
MAX_LEN = 128  # the tokenizer.json truncates at 128 tokens


def fail(msg: str) -> None:
    print(f"check_embeddings: FAILED: {msg}", file=sys.stderr)
    sys.exit(1)


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def masked_mean(tokens: np.ndarray, mask: np.ndarray) -> np.ndarray:
    m = mask[..., None].astype(np.float32)
    return (tokens * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1e-9)


def signature(session: ort.InferenceSession) -> dict:
    def desc(v):
        return {"name": v.name, "type": v.type, "shape": [d if isinstance(d, int) else str(d) for d in v.shape]}

    return {
        "inputs": [desc(i) for i in session.get_inputs()],
        "outputs": [desc(o) for o in session.get_outputs()],
    }


class Model:
    """One embedding model: sentence -> vector, the way Agora should compute it."""

    def __init__(self, path: str, tok: Tokenizer, kind: str):
        self.session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        self.tok, self.kind = tok, kind
        self.input_names = [i.name for i in self.session.get_inputs()]

    def run(self, texts: list[str]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        encs = self.tok.encode_batch(texts)
        ids = np.array([e.ids for e in encs], np.int64)
        mask = np.array([e.attention_mask for e in encs], np.int64)
        feed = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self.input_names:
            feed["token_type_ids"] = np.zeros_like(ids)
        outs = dict(zip([o.name for o in self.session.get_outputs()], self.session.run(None, feed)))
        if self.kind == "paraphrase":
            pooled = outs["461"]
            own = masked_mean(outs["onnx::Shape_422"], mask)
            if not np.allclose(pooled, own, atol=1e-5):
                fail(f"output 461 is not the masked mean of onnx::Shape_422 ({np.abs(pooled - own).max()})")
            return pooled, outs
        return masked_mean(outs["last_hidden_state"], mask), outs


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dir", required=True, help="models directory (ops/models/install --dir)")
    args = ap.parse_args()
    d = args.dir

    tok = Tokenizer.from_file(os.path.join(d, "minilm-tokenizer.json"))
    # The file pads every input to 128; pad a batch to its longest sentence instead.
    tok.enable_padding(pad_id=0, pad_token="[PAD]")
    tok.enable_truncation(MAX_LEN)

    report = {"tokenizer": "minilm-tokenizer.json", "max_tokens": MAX_LEN, "models": {}}
    sentences = [s for t in TRIPLES for s in t]
    for name, file, kind, pooling in [
        (
            "paraphrase-MiniLM-L3-v2",
            "paraphrase-MiniLM-L3-v2.onnx",
            "paraphrase",
            (
                "output '461' is the attention-masked mean of the token vectors (not normalised); "
                "outputs 'output' and '463' echo input_ids and attention_mask"
            ),
        ),
        (
            "all-MiniLM-L6-v2-int8",
            "all-MiniLM-L6-v2-int8.onnx",
            "int8",
            (
                "attention-masked mean of 'last_hidden_state' over the sequence (then L2-normalise, as "
                "sentence-transformers does; cosine is unaffected); token_type_ids all 0"
            ),
        ),
    ]:
        model = Model(os.path.join(d, file), tok, kind)
        batch, _ = model.run(sentences)
        if batch.shape != (len(sentences), 384):
            fail(f"{name}: embedding shape {batch.shape}")
        # Padding must not change a vector: each sentence alone vs inside the padded batch.
        for i, s in enumerate(sentences):
            alone, _ = model.run([s])
            if not np.allclose(alone[0], batch[i], atol=1e-4):
                fail(f"{name}: padding changed the vector of {s!r} by {np.abs(alone[0] - batch[i]).max()}")
        scores = []
        for j, (a, p, u) in enumerate(TRIPLES):
            ea, ep, eu = batch[3 * j], batch[3 * j + 1], batch[3 * j + 2]
            cp, cu = cosine(ea, ep), cosine(ea, eu)
            print(f"{name}: cos(paraphrase)={cp:.3f} > cos(unrelated)={cu:.3f}  [{a}]")
            if not cp > cu + 0.1:
                fail(f"{name}: paraphrase {cp:.3f} not clearly above unrelated {cu:.3f} for {a!r}")
            scores.append({"anchor": a, "paraphrase": p, "unrelated": u, "cos_paraphrase": cp, "cos_unrelated": cu})
        report["models"][name] = {
            "file": file,
            **signature(model.session),
            "pooling": pooling,
            "dimension": 384,
            "scores": scores,
            "vectors": {s: [round(float(x), 6) for x in batch[i]] for i, s in enumerate(sentences)},
        }
    out = os.path.join(d, "embeddings-check.json")
    with open(out + ".tmp", "w", encoding="utf-8") as f:
        json.dump(report, f, ensure_ascii=False, indent=1)
        f.write("\n")
    os.replace(out + ".tmp", out)
    print(f"check_embeddings: ok, wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
