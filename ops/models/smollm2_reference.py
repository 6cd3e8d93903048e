"""An independent numpy forward pass of SmolLM2 straight from the GGUF weights.

It shares no code with convert_smollm2.py on purpose: it keeps the Q/K rows in
llama.cpp's permuted order and applies llama.cpp's interleaved ("normal")
RoPE to adjacent pairs, where the converter un-permutes the rows and applies
the rotate-half RoPE of the original checkpoint. The two agree only if the
un-permutation is right. No KV cache: every call runs the whole sequence.
"""

from __future__ import annotations

import numpy as np
from gguf import GGUFReader
from gguf.quants import dequantize


class Reference:
    def __init__(self, gguf_path: str):
        r = GGUFReader(gguf_path)
        meta = {k: f.contents() for k, f in r.fields.items() if k.startswith("llama.")}
        self.n_layer = int(meta["llama.block_count"])
        self.n_head = int(meta["llama.attention.head_count"])
        self.n_head_kv = int(meta["llama.attention.head_count_kv"])
        self.eps = float(meta["llama.attention.layer_norm_rms_epsilon"])
        self.theta = float(meta["llama.rope.freq_base"])
        self.w = {}
        for t in r.tensors:
            shape = tuple(int(d) for d in t.shape[::-1])
            self.w[t.name] = dequantize(t.data, t.tensor_type).astype(np.float32).reshape(shape)
        self.n_embd = self.w["token_embd.weight"].shape[1]
        self.head_dim = self.n_embd // self.n_head

    def _norm(self, x: np.ndarray, w: np.ndarray) -> np.ndarray:
        return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + np.float32(self.eps)) * w

    def _rope_interleaved(self, x: np.ndarray, pos: np.ndarray) -> np.ndarray:
        """x [heads, seq, D]: rotates pairs (2j, 2j+1) by pos * theta^(-2j/D)."""
        d = x.shape[-1]
        inv = (1.0 / (self.theta ** (np.arange(0, d, 2, dtype=np.float64) / d))).astype(np.float32)
        ang = pos.astype(np.float32)[:, None] * inv[None, :]  # [seq, D/2]
        c, s = np.cos(ang), np.sin(ang)
        a, b = x[..., 0::2], x[..., 1::2]
        out = np.empty_like(x)
        out[..., 0::2] = a * c - b * s
        out[..., 1::2] = a * s + b * c
        return out

    def logits(self, ids: list[int], last_only: bool = False) -> np.ndarray:
        """Logits [seq, vocab] (or [1, vocab] for the last position) for ids at positions 0..n-1."""
        w, H, KV, D = self.w, self.n_head, self.n_head_kv, self.head_dim
        n = len(ids)
        pos = np.arange(n)
        x = w["token_embd.weight"][np.asarray(ids)]  # [n, E]
        causal = np.triu(np.full((n, n), -np.inf, dtype=np.float32), k=1)
        for i in range(self.n_layer):
            p = f"blk.{i}."
            h = self._norm(x, w[p + "attn_norm.weight"])
            q = (h @ w[p + "attn_q.weight"].T).reshape(n, H, D).transpose(1, 0, 2)
            k = (h @ w[p + "attn_k.weight"].T).reshape(n, KV, D).transpose(1, 0, 2)
            v = (h @ w[p + "attn_v.weight"].T).reshape(n, KV, D).transpose(1, 0, 2)
            q, k = self._rope_interleaved(q, pos), self._rope_interleaved(k, pos)
            k = np.repeat(k, H // KV, axis=0)
            v = np.repeat(v, H // KV, axis=0)
            s = q @ k.transpose(0, 2, 1) / np.float32(np.sqrt(D)) + causal
            s = np.exp(s - s.max(axis=-1, keepdims=True))
            s /= s.sum(axis=-1, keepdims=True)
            ctx = (s @ v).transpose(1, 0, 2).reshape(n, H * D)
            x = x + ctx @ w[p + "attn_output.weight"].T
            h = self._norm(x, w[p + "ffn_norm.weight"])
            gate = h @ w[p + "ffn_gate.weight"].T
            up = h @ w[p + "ffn_up.weight"].T
            x = x + (gate / (1 + np.exp(-gate)) * up) @ w[p + "ffn_down.weight"].T
        x = self._norm(x[-1:] if last_only else x, w["output_norm.weight"])
        return x @ w["token_embd.weight"].T

    def greedy(self, ids: list[int], steps: int, stop: int | None = None) -> list[int]:
        """Greedy continuation without a cache: one full forward pass per token."""
        seq, out = list(ids), []
        for _ in range(steps):
            nxt = int(np.argmax(self.logits(seq, last_only=True)[0]))
            out.append(nxt)
            if nxt == stop:
                break
            seq.append(nxt)
        return out
