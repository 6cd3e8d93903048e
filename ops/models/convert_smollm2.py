#!/usr/bin/env python3
"""Converts SmolLM2-135M-Instruct from GGUF to an ONNX decoder with a KV cache,
and writes the matching `tokenizer.json`.

Only the pip packages gguf, onnx, numpy and tokenizers are used (no torch, no
hub). The graph (opset 17, all weights f32):

  inputs   input_ids                 int64 [1, sequence_length]
           past_key_values.{i}.key   f32   [1, 3, past_sequence_length, 64]   i = 0..29
           past_key_values.{i}.value f32   [1, 3, past_sequence_length, 64]
  outputs  logits                    f32   [1, sequence_length, 49152]
           present.{i}.key           f32   [1, 3, total_sequence_length, 64]
           present.{i}.value         f32   [1, 3, total_sequence_length, 64]

Positions are past_sequence_length + 0..sequence_length (batch 1, no padding,
so no attention mask or position ids are needed); the first step passes pasts
of length 0. present = concat(past, new) along the sequence axis: feed it back
as the next step's past.

The GGUF stores Q and K rows permuted for llama.cpp's interleaved RoPE; they are
un-permuted here so the graph applies the usual rotate-half RoPE (as in the
original checkpoint). Quantized weights (Q4_1, Q8_0, ...) are dequantized to
f32 with gguf's own helpers. The output projection is tied to the token
embedding: Gemm(transB=1) on the same initializer.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time

import numpy as np
import onnx
from gguf import GGUFReader
from gguf.quants import dequantize
from onnx import TensorProto, helper, numpy_helper

CONVERTER_VERSION = "1"
OPSET = 17


def field(reader: GGUFReader, key: str):
    f = reader.fields.get(key)
    if f is None:
        raise SystemExit(f"GGUF has no metadata key {key}")
    return f.contents()


class Hparams:
    """What the graph needs from the GGUF metadata."""

    def __init__(self, reader: GGUFReader):
        arch = field(reader, "general.architecture")
        if arch != "llama":
            raise SystemExit(f"expected a llama GGUF, got {arch}")
        self.n_layer = int(field(reader, "llama.block_count"))
        self.n_embd = int(field(reader, "llama.embedding_length"))
        self.n_ff = int(field(reader, "llama.feed_forward_length"))
        self.n_head = int(field(reader, "llama.attention.head_count"))
        self.n_head_kv = int(field(reader, "llama.attention.head_count_kv"))
        self.eps = float(field(reader, "llama.attention.layer_norm_rms_epsilon"))
        self.rope_theta = float(field(reader, "llama.rope.freq_base"))
        self.head_dim = self.n_embd // self.n_head
        tokens = field(reader, "tokenizer.ggml.tokens")
        self.n_vocab = len(tokens)
        if "llama.rope.dimension_count" in reader.fields:
            rope_dim = int(field(reader, "llama.rope.dimension_count"))
            if rope_dim != self.head_dim:
                raise SystemExit(f"partial RoPE ({rope_dim} of {self.head_dim}) is not supported")


def unpermute(w: np.ndarray, n_head: int) -> np.ndarray:
    """Undoes llama.cpp's convert_hf_to_gguf `permute` of Q/K rows.

    llama.cpp writes rows as reshape(n_head, 2, d/2, ...).swapaxes(1, 2), i.e.
    the two rotary halves of each head interleaved; this puts them back.
    """
    rows = w.shape[0]
    return w.reshape(n_head, rows // n_head // 2, 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def load_weights(reader: GGUFReader, hp: Hparams) -> dict[str, np.ndarray]:
    """All tensors dequantized to f32, shaped [out, in] like the original checkpoint."""
    weights = {}
    for t in reader.tensors:
        w = np.ascontiguousarray(dequantize(t.data, t.tensor_type), dtype=np.float32)
        # gguf lists dims innermost first; numpy wants outermost first.
        w = w.reshape(tuple(int(d) for d in reversed(t.shape.tolist())))
        if t.name.endswith("attn_q.weight"):
            w = unpermute(w, hp.n_head)
        elif t.name.endswith("attn_k.weight"):
            w = unpermute(w, hp.n_head_kv)
        weights[t.name] = w
    if "output.weight" in weights:
        raise SystemExit("this GGUF has an untied output.weight; the converter expects tied embeddings")
    return weights


class Graph:
    """A tiny ONNX graph builder: unique names, constants as initializers."""

    def __init__(self):
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []
        self.count = 0

    def name(self, hint: str) -> str:
        self.count += 1
        return f"{hint}_{self.count}"

    def const(self, hint: str, value, dtype=None) -> str:
        arr = np.asarray(value, dtype=dtype)
        name = self.name(hint) if not hint.startswith("model.") else hint
        self.inits.append(numpy_helper.from_array(arr, name))
        return name

    def op(self, op_type: str, inputs: list[str], hint: str | None = None, out: str | None = None, **attrs) -> str:
        output = out or self.name(hint or op_type.lower())
        self.nodes.append(helper.make_node(op_type, inputs, [output], name=self.name(op_type), **attrs))
        return output


def build(weights: dict[str, np.ndarray], hp: Hparams) -> onnx.ModelProto:
    g = Graph()
    H, KV, D, E, V = hp.n_head, hp.n_head_kv, hp.head_dim, hp.n_embd, hp.n_vocab
    groups = H // KV

    embed = g.const("model.embed_tokens.weight", weights["token_embd.weight"])  # [V, E]

    def i64(hint: str, v) -> str:
        return g.const(hint, v, np.int64)

    def f32(hint: str, v) -> str:
        return g.const(hint, v, np.float32)

    # Lengths: past from the first layer's cache, new tokens from input_ids.
    # (Shape then Gather of a scalar index: plain ops every runtime knows.)
    axis0 = i64("axis0", [0])
    past_s = g.op("Gather", [g.op("Shape", ["past_key_values.0.key"]), i64("dim2", 2)], "past_len", axis=0)
    seq_s = g.op("Gather", [g.op("Shape", ["input_ids"]), i64("dim1", 1)], "seq_len", axis=0)
    total_s = g.op("Add", [past_s, seq_s], "total_len")
    zero, one = i64("zero", 0), i64("one", 1)

    # Rotary tables for positions past..total-1: cos/sin [seq, D].
    positions = g.op("Range", [past_s, total_s, one], "positions")  # [seq] int64
    pos_f = g.op("Cast", [positions], "positions_f", to=TensorProto.FLOAT)
    inv_freq = (1.0 / (hp.rope_theta ** (np.arange(0, D, 2, dtype=np.float64) / D))).astype(np.float32)
    freqs = g.op("Mul", [g.op("Unsqueeze", [pos_f, i64("axis1", [1])]), f32("inv_freq", inv_freq[None, :])], "freqs")
    angles = g.op("Concat", [freqs, freqs], "angles", axis=-1)  # [seq, D]
    cos = g.op("Cos", [angles], "cos")
    # rotate_half(x) * sin == concat(x2, x1) * concat(-sin, sin) over the two halves.
    sign = np.concatenate([-np.ones(D // 2), np.ones(D // 2)]).astype(np.float32)
    sin_signed = g.op("Mul", [g.op("Sin", [angles], "sin"), f32("rot_sign", sign)], "sin_signed")

    # Causal mask [seq, total]: query at position past+i sees keys 0..past+i.
    cols = g.op("Range", [zero, total_s, one], "key_positions")
    future = g.op(
        "Greater",
        [g.op("Unsqueeze", [cols, axis0]), g.op("Unsqueeze", [positions, i64("axis1b", [1])])],
        "future",
    )
    mask = g.op("Where", [future, f32("neg_big", np.float32(-1e9)), f32("fzero", np.float32(0.0))], "causal_mask")

    half_a = (i64("h0", [0]), i64("h1", [D // 2]))
    half_b = (i64("h2", [D // 2]), i64("h3", [D]))
    axis3 = i64("axis3", [3])

    def rope(x: str, hint: str) -> str:
        x1 = g.op("Slice", [x, half_a[0], half_a[1], axis3], f"{hint}_x1")
        x2 = g.op("Slice", [x, half_b[0], half_b[1], axis3], f"{hint}_x2")
        swapped = g.op("Concat", [x2, x1], f"{hint}_swap", axis=3)
        return g.op("Add", [g.op("Mul", [x, cos]), g.op("Mul", [swapped, sin_signed])], f"{hint}_rope")

    eps = f32("rms_eps", np.float32(hp.eps))
    axes_last = [-1]

    def rms_norm(x: str, w: np.ndarray, hint: str) -> str:
        ms = g.op("ReduceMean", [g.op("Mul", [x, x])], f"{hint}_ms", axes=axes_last, keepdims=1)
        rms = g.op("Sqrt", [g.op("Add", [ms, eps])], f"{hint}_rms")
        return g.op("Mul", [g.op("Div", [x, rms]), f32(f"{hint}_w", w)], hint)

    def linear(x: str, w: np.ndarray, hint: str) -> str:
        # w is [out, in]; MatMul wants [in, out].
        return g.op("MatMul", [x, f32(f"{hint}_wT", np.ascontiguousarray(w.T))], hint)

    def heads(x: str, shape: str) -> str:
        """[1, seq, n*D] -> [1, n, seq, D]."""
        return g.op("Transpose", [g.op("Reshape", [x, shape])], perm=[0, 2, 1, 3])

    shape_q = i64("shape_q", [1, -1, H, D])
    shape_kv = i64("shape_kv", [1, -1, KV, D])
    shape_groups = i64("shape_groups", [1, KV, groups, -1, D])
    shape_heads = i64("shape_heads", [1, H, -1, D])
    shape_hidden = i64("shape_hidden", [1, -1, E])
    axis2 = i64("axis2", [2])
    scale = f32("attn_scale", np.float32(1.0 / np.sqrt(D)))

    x = g.op("Gather", [embed, "input_ids"], "embeddings", axis=0)  # [1, seq, E]
    for i in range(hp.n_layer):
        p = f"blk.{i}."
        h = rms_norm(x, weights[p + "attn_norm.weight"], f"l{i}_attn_norm")
        q = heads(linear(h, weights[p + "attn_q.weight"], f"l{i}_q"), shape_q)  # [1, H, seq, D]
        k = heads(linear(h, weights[p + "attn_k.weight"], f"l{i}_k"), shape_kv)  # [1, KV, seq, D]
        v = heads(linear(h, weights[p + "attn_v.weight"], f"l{i}_v"), shape_kv)
        q = rope(q, f"l{i}_q")
        k = rope(k, f"l{i}_k")
        present_k = g.op("Concat", [f"past_key_values.{i}.key", k], out=f"present.{i}.key", axis=2)
        present_v = g.op("Concat", [f"past_key_values.{i}.value", v], out=f"present.{i}.value", axis=2)
        # Grouped-query attention: query head h uses key/value head h // groups.
        qg = g.op("Reshape", [g.op("Mul", [q, scale]), shape_groups], f"l{i}_qg")  # [1, KV, G, seq, D]
        kt = g.op("Transpose", [present_k], perm=[0, 1, 3, 2])
        kt = g.op("Unsqueeze", [kt, axis2], f"l{i}_kt")  # [1, KV, 1, D, total]
        scores = g.op("Add", [g.op("MatMul", [qg, kt]), mask], f"l{i}_scores")  # [1, KV, G, seq, total]
        probs = g.op("Softmax", [scores], f"l{i}_probs", axis=-1)
        ctx = g.op("MatMul", [probs, g.op("Unsqueeze", [present_v, axis2])], f"l{i}_ctx")  # [1, KV, G, seq, D]
        ctx = g.op("Transpose", [g.op("Reshape", [ctx, shape_heads])], perm=[0, 2, 1, 3])  # [1, seq, H, D]
        attn = linear(g.op("Reshape", [ctx, shape_hidden]), weights[p + "attn_output.weight"], f"l{i}_o")
        x = g.op("Add", [x, attn], f"l{i}_attn_res")
        h = rms_norm(x, weights[p + "ffn_norm.weight"], f"l{i}_ffn_norm")
        gate = linear(h, weights[p + "ffn_gate.weight"], f"l{i}_gate")
        up = linear(h, weights[p + "ffn_up.weight"], f"l{i}_up")
        act = g.op("Mul", [g.op("Mul", [gate, g.op("Sigmoid", [gate])], f"l{i}_silu"), up])
        x = g.op("Add", [x, linear(act, weights[p + "ffn_down.weight"], f"l{i}_down")], f"l{i}_ffn_res")

    x = rms_norm(x, weights["output_norm.weight"], "final_norm")
    flat = g.op("Reshape", [x, i64("shape_flat", [-1, E])], "final_flat")
    logits2d = g.op("Gemm", [flat, embed], "logits2d", transB=1)  # tied output projection
    g.op("Reshape", [logits2d, i64("shape_logits", [1, -1, V])], out="logits")

    past_shape = [1, KV, "past_sequence_length", D]
    present_shape = [1, KV, "total_sequence_length", D]
    inputs = [helper.make_tensor_value_info("input_ids", TensorProto.INT64, [1, "sequence_length"])]
    outputs = [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, "sequence_length", V])]
    for i in range(hp.n_layer):
        for kind in ("key", "value"):
            inputs.append(helper.make_tensor_value_info(f"past_key_values.{i}.{kind}", TensorProto.FLOAT, past_shape))
            outputs.append(helper.make_tensor_value_info(f"present.{i}.{kind}", TensorProto.FLOAT, present_shape))
    graph = helper.make_graph(g.nodes, "smollm2_decoder", inputs, outputs, initializer=g.inits)
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="agora ops/models/convert_smollm2.py"
    )
    model.ir_version = 8
    return model


def build_tokenizer(reader: GGUFReader):
    """A byte-level BPE tokenizer.json equivalent to the GGUF's gpt2/smollm tokenizer."""
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, processors

    model = field(reader, "tokenizer.ggml.model")
    pre = field(reader, "tokenizer.ggml.pre")
    if model != "gpt2" or pre not in ("smollm", "default"):
        raise SystemExit(f"unexpected tokenizer {model}/{pre}")
    tokens = field(reader, "tokenizer.ggml.tokens")
    types = field(reader, "tokenizer.ggml.token_type")
    merges = field(reader, "tokenizer.ggml.merges")
    vocab = {t: i for i, t in enumerate(tokens)}
    if len(vocab) != len(tokens):
        raise SystemExit("duplicate tokens in the GGUF vocabulary")
    pairs = []
    for m in merges:
        a, sep, b = m.partition(" ")
        if not sep or " " in b:
            raise SystemExit(f"malformed merge {m!r}")
        pairs.append((a, b))
    tok = Tokenizer(models.BPE(vocab=vocab, merges=pairs, fuse_unk=False, byte_fallback=False))
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Digits(individual_digits=True),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True),
        ]
    )
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    tok.decoder = decoders.ByteLevel()
    # Token type 3 = control: <|endoftext|>, <|im_start|>, <|im_end|>, ...
    specials = [tokens[i] for i, t in enumerate(types) if int(t) == 3]
    tok.add_special_tokens([AddedToken(s, special=True, normalized=False) for s in specials])
    for s in specials:
        if tok.token_to_id(s) != vocab[s]:
            raise SystemExit(f"special token {s} got id {tok.token_to_id(s)}, expected {vocab[s]}")
    return tok


def sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gguf", required=True)
    ap.add_argument("--onnx", required=True, help="where to write the ONNX decoder")
    ap.add_argument("--tokenizer", required=True, help="where to write tokenizer.json")
    args = ap.parse_args()

    t0 = time.time()
    reader = GGUFReader(args.gguf)
    hp = Hparams(reader)
    tok = build_tokenizer(reader)
    tmp_tok = args.tokenizer + ".tmp"
    # Merges as "a b" strings, the form every tokenizers version reads (byte-level
    # tokens never contain a space, so this is lossless).
    spec = json.loads(tok.to_str())
    spec["model"]["merges"] = [m if isinstance(m, str) else " ".join(m) for m in spec["model"]["merges"]]
    with open(tmp_tok, "w", encoding="utf-8") as f:
        json.dump(spec, f, ensure_ascii=False)
    os.replace(tmp_tok, args.tokenizer)

    weights = load_weights(reader, hp)
    model = build(weights, hp)
    del weights
    meta = {
        "source_gguf_sha256": sha256(args.gguf),
        "converter_version": CONVERTER_VERSION,
        "bos_token_id": str(int(field(reader, "tokenizer.ggml.bos_token_id"))),
        "eos_token_id": str(int(field(reader, "tokenizer.ggml.eos_token_id"))),
        "chat_template": field(reader, "tokenizer.chat_template"),
        "hparams": json.dumps(vars(hp)),
    }
    helper.set_model_props(model, meta)
    onnx.checker.check_model(model)
    tmp = args.onnx + ".tmp"
    onnx.save_model(model, tmp)
    os.replace(tmp, args.onnx)
    size = os.path.getsize(args.onnx) / 2**20
    print(
        f"wrote {args.onnx} ({size:.0f} MiB, {len(model.graph.node)} nodes, {hp.n_layer} layers) "
        f"and {args.tokenizer} in {time.time() - t0:.1f}s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
