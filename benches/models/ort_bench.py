#!/usr/bin/env python3
"""onnxruntime side of the model benchmark (benches/models/run.sh).

Same models, same tokenizers, same inputs and same thread count as the Rust
side (`cargo run -p agora-actors --example models_bench`). Prints one JSON
object per measurement on stdout.

usage: ort_bench.py MODELS_DIR THREADS EMBED_ITERS GEN_TOKENS
"""
import json
import sys
import time

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer

SENTENCES = [
    "A man is playing a guitar.",
    "What are the steps to change my forgotten password?",
    "The cat sat quietly on the warm windowsill.",
    "Quarterly revenue grew by twelve percent.",
]
PROMPT = (
    "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n"
    "<|im_start|>user\nGive me three tips for writing a clear email.<|im_end|>\n<|im_start|>assistant\n"
)


def session(path, threads):
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    return ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])


def bench_embeddings(d, threads, iters):
    tok = Tokenizer.from_file(f"{d}/minilm-tokenizer.json")
    tok.no_padding()
    for name, file, out, type_ids in [
        ("paraphrase-MiniLM-L3-v2", "paraphrase-MiniLM-L3-v2.onnx", "461", False),
        ("all-MiniLM-L6-v2-int8", "all-MiniLM-L6-v2-int8.onnx", "last_hidden_state", True),
    ]:
        s = session(f"{d}/{file}", threads)
        feeds = []
        for text in SENTENCES:
            e = tok.encode(text)
            f = {
                "input_ids": np.array([e.ids], dtype=np.int64),
                "attention_mask": np.array([e.attention_mask], dtype=np.int64),
            }
            if type_ids:
                f["token_type_ids"] = np.zeros_like(f["input_ids"])
            feeds.append(f)
        for f in feeds:  # warm-up
            s.run([out], f)
        lat = []
        start = time.perf_counter()
        for i in range(iters):
            t = time.perf_counter()
            s.run([out], feeds[i % len(feeds)])
            lat.append(time.perf_counter() - t)
        total = time.perf_counter() - start
        lat.sort()
        print(json.dumps({
            "runtime": "onnxruntime", "bench": "embed", "model": name, "threads": threads,
            "iters": iters, "p50_ms": lat[len(lat) // 2] * 1e3,
            "mean_ms": total / iters * 1e3, "per_s": iters / total,
        }), flush=True)


def bench_generation(d, threads, tokens):
    tok = Tokenizer.from_file(f"{d}/smollm2-tokenizer.json")
    s = session(f"{d}/smollm2-135m-instruct.onnx", threads)
    ids = tok.encode(PROMPT, add_special_tokens=False).ids
    names = [i.name for i in s.get_inputs()][1:]
    outs = [o.name for o in s.get_outputs()]
    for run in range(2):  # first run is a warm-up
        past = {n: np.zeros((1, 3, 0, 64), dtype=np.float32) for n in names}
        step = np.array([ids], dtype=np.int64)
        t0 = time.perf_counter()
        first = None
        n = 0
        while n < tokens:
            res = s.run(outs, {"input_ids": step, **past})
            nxt = int(np.argmax(res[0][0, -1]))
            n += 1
            if first is None:
                first = time.perf_counter() - t0
                t1 = time.perf_counter()
            past = dict(zip(names, res[1:]))
            step = np.array([[nxt]], dtype=np.int64)
        total = time.perf_counter() - t1
    print(json.dumps({
        "runtime": "onnxruntime", "bench": "generate", "threads": threads,
        "prompt_tokens": len(ids), "tokens": tokens, "prefill_ms": first * 1e3,
        "ms_per_token": total / max(tokens - 1, 1) * 1e3,
    }), flush=True)


def main():
    d, threads, iters, tokens = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    bench_embeddings(d, threads, iters)
    bench_generation(d, threads, tokens)


if __name__ == "__main__":
    main()
