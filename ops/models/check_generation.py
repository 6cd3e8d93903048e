#!/usr/bin/env python3
"""Checks the converted SmolLM2 ONNX decoder and tokenizer, and records the
expected greedy generation for Agora's Rust tests.

(a) onnxruntime logits for a prompt (empty past) agree with an independent
    numpy forward pass from the GGUF weights (smollm2_reference.py), and a
    prompt fed in two chunks through the KV cache gives the same last logits;
(b) greedy generation with the KV cache of fixed ChatML prompts gives English
    (the capital of France: "Paris"), and its first tokens equal the no-cache
    numpy reference's.

Writes <dir>/smollm2-expected.json: per prompt, its token ids, the generated
ids and text. tract must produce the same ids. Exits non-zero on any failure.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from smollm2_reference import Reference

SYSTEM = "You are a helpful AI assistant named SmolLM, trained by Hugging Face"
# (name, user message, a word the answer must contain or None). The first answer
# is short; the second runs to max_new_tokens, so the cache is used at length.
CASES = [
    ("capital", "What is the capital of France?", "Paris"),
    ("email-tips", "Give me three tips for writing a clear email.", None),
]
IM_END = "<|im_end|>"
N_LAYER, N_KV, HEAD_DIM, VOCAB = 30, 3, 64, 49152
# f32 logits are O(10); summation order differs between numpy and onnxruntime.
LOGITS_TOL = 1e-3


def chatml(system: str, user: str) -> str:
    return f"<|im_start|>system\n{system}<|im_end|>\n<|im_start|>user\n{user}<|im_end|>\n<|im_start|>assistant\n"


def sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def fail(msg: str) -> None:
    print(f"check_generation: FAILED: {msg}", file=sys.stderr)
    sys.exit(1)


class Decoder:
    """onnxruntime over the converted graph, feeding present.* back as past_key_values.*."""

    def __init__(self, path: str):
        opts = ort.SessionOptions()
        self.session = ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])
        self.inputs = [i.name for i in self.session.get_inputs()]
        self.outputs = [o.name for o in self.session.get_outputs()]
        want_in = ["input_ids"] + [f"past_key_values.{i}.{k}" for i in range(N_LAYER) for k in ("key", "value")]
        want_out = ["logits"] + [f"present.{i}.{k}" for i in range(N_LAYER) for k in ("key", "value")]
        if self.inputs != want_in or self.outputs != want_out:
            fail(f"unexpected graph signature: {self.inputs[:3]}... -> {self.outputs[:3]}...")

    def empty_past(self) -> dict[str, np.ndarray]:
        return {n: np.zeros((1, N_KV, 0, HEAD_DIM), np.float32) for n in self.inputs[1:]}

    def step(self, ids: list[int], past: dict[str, np.ndarray]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        res = self.session.run(None, {"input_ids": np.asarray([ids], np.int64), **past})
        present = {n.replace("present.", "past_key_values.", 1): r for n, r in zip(self.outputs[1:], res[1:])}
        return res[0][0], present

    def greedy(self, ids: list[int], max_new: int, stop: int) -> tuple[list[int], list[float]]:
        """Generated ids, and per step the gap between the best and second-best logit."""
        logits, past = self.step(ids, self.empty_past())
        out, margins = [], []
        while len(out) < max_new:
            top2 = np.sort(logits[-1])[-2:]
            margins.append(float(top2[1] - top2[0]))
            nxt = int(np.argmax(logits[-1]))
            out.append(nxt)
            if nxt == stop:
                break
            logits, past = self.step([nxt], past)
        return out, margins


def check_tokenizer(tok: Tokenizer) -> None:
    for s, want in [("<|im_start|>", 1), (IM_END, 2), ("<|endoftext|>", 0)]:
        ids = tok.encode(s).ids
        if ids != [want]:
            fail(f"{s} encodes to {ids}, expected [{want}]")
    digits = tok.encode("year 2024").tokens
    if digits[-4:] != ["2", "0", "2", "4"]:
        fail(f"digits are not split one by one: {digits}")
    for text in ["Hello, world!", "  two  spaces\n\nand lines", "naïve café 東京 😀", "x = 3.14159; y=42"]:
        back = tok.decode(tok.encode(text).ids)
        if back != text:
            fail(f"tokenizer round trip changed {text!r} into {back!r}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dir", required=True, help="models directory (ops/models/install --dir)")
    ap.add_argument("--max-new-tokens", type=int, default=64)
    ap.add_argument("--compare-tokens", type=int, default=16, help="generated ids compared with the numpy reference")
    args = ap.parse_args()
    d = args.dir
    onnx_path = os.path.join(d, "smollm2-135m-instruct.onnx")
    tok_path = os.path.join(d, "smollm2-tokenizer.json")
    gguf_path = os.path.join(d, "SmolLM2-135M-Instruct.Q4_1.gguf")
    t0 = time.time()

    tok = Tokenizer.from_file(tok_path)
    check_tokenizer(tok)
    stop = tok.token_to_id(IM_END)
    dec = Decoder(onnx_path)
    ref = Reference(gguf_path)

    # (a) logits: onnxruntime (empty past) vs numpy, then through the cache in two chunks.
    prompt_ids = tok.encode(chatml(SYSTEM, CASES[0][1])).ids
    ort_logits, _ = dec.step(prompt_ids, dec.empty_past())
    ref_logits = ref.logits(prompt_ids)
    if ort_logits.shape != (len(prompt_ids), VOCAB):
        fail(f"logits shape {ort_logits.shape}")
    diff = float(np.max(np.abs(ort_logits - ref_logits)))
    print(f"logits over {len(prompt_ids)} prompt tokens: max |onnxruntime - numpy| = {diff:.2e}")
    if not diff <= LOGITS_TOL:
        fail(f"logits differ by {diff} (tolerance {LOGITS_TOL})")
    split = len(prompt_ids) - 5
    _, past = dec.step(prompt_ids[:split], dec.empty_past())
    chunk_logits, present = dec.step(prompt_ids[split:], past)
    cache_diff = float(np.max(np.abs(chunk_logits - ort_logits[split:])))
    print(f"prompt in two chunks through the KV cache: max diff = {cache_diff:.2e}")
    if not cache_diff <= LOGITS_TOL:
        fail(f"KV-cache logits differ by {cache_diff}")
    if present["past_key_values.0.key"].shape != (1, N_KV, len(prompt_ids), HEAD_DIM):
        fail(f"present shape {present['past_key_values.0.key'].shape}")

    # (b) greedy generation with the cache vs the numpy reference without one.
    cases = []
    for name, question, must in CASES:
        prompt = chatml(SYSTEM, question)
        prompt_ids = tok.encode(prompt).ids
        t1 = time.time()
        gen, margins = dec.greedy(prompt_ids, args.max_new_tokens, stop)
        gen_secs = time.time() - t1
        text = tok.decode([t for t in gen if t != stop])
        print(f"{name}: {len(gen)} tokens in {gen_secs:.2f}s ({1000 * gen_secs / len(gen):.0f} ms/token): {text!r}")
        n = min(args.compare_tokens, len(gen))
        ref_ids = ref.greedy(prompt_ids, n, stop)
        if ref_ids != gen[:n]:
            fail(f"{name}: first {n} generated ids differ: onnxruntime {gen[:n]} vs numpy {ref_ids}")
        print(f"{name}: first {n} ids equal the no-cache numpy reference")
        if must is not None and must not in text:
            fail(f"{name}: the answer does not mention {must}: {text!r}")
        letters = sum(c.isascii() and (c.isalpha() or c.isspace()) for c in text)
        if letters < 0.8 * len(text) or len(text.split()) < 3:
            fail(f"{name}: the answer does not look like English: {text!r}")
        cases.append(
            {
                "name": name,
                "prompt": prompt,
                "prompt_ids": prompt_ids,
                "generated_ids": gen,
                "text": text,
                "stopped": bool(gen and gen[-1] == stop),
                "compared_with_numpy": n,
                # A small gap means another runtime's rounding could pick a different token there.
                "smallest_top2_logit_gap": round(min(margins), 4),
                "smallest_gap_at_step": int(np.argmin(margins)),
            }
        )

    expected = {
        "description": "Greedy decoding (argmax, no sampling) of SmolLM2-135M-Instruct Q4_1 converted to ONNX; "
        "ids produced by onnxruntime with the KV cache, the first compared_with_numpy ones also by a "
        "no-cache numpy reference. Generation stops after stop_token_id (included in generated_ids) "
        "or max_new_tokens; text is the decoded ids without the stop token.",
        "model": os.path.basename(onnx_path),
        "model_sha256": sha256(onnx_path),
        "tokenizer": os.path.basename(tok_path),
        "tokenizer_sha256": sha256(tok_path),
        "source_gguf_sha256": sha256(gguf_path),
        "stop_token_id": stop,
        "max_new_tokens": args.max_new_tokens,
        "logits_max_abs_diff": diff,
        "onnxruntime_version": ort.__version__,
        "cases": cases,
    }
    out = os.path.join(d, "smollm2-expected.json")
    with open(out + ".tmp", "w", encoding="utf-8") as f:
        json.dump(expected, f, ensure_ascii=False, indent=1)
        f.write("\n")
    os.replace(out + ".tmp", out)
    print(f"check_generation: ok in {time.time() - t0:.1f}s, wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
