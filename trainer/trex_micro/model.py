"""Tiny GPT (pre-LayerNorm, learned positions, tied embeddings) with LoRA.

Sized so that pretraining fits in ~30 s and a fine-tuning run in a few
seconds on one CPU thread. Decoding supports left-padded batches (per-row
positions + key mask) and a KV cache so evaluation is cheap.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from . import tokenizer

CONFIGS = {
    "micro-gpt": {"d_model": 96, "n_layers": 3, "n_heads": 4, "block_size": 128},
}


class LoRALinear(nn.Module):
    """y = W x + (alpha / r) * B A dropout(x); W frozen, B starts at zero."""

    def __init__(self, base, rank, alpha, dropout):
        super().__init__()
        self.base = base
        self.scale = alpha / rank
        self.dropout = nn.Dropout(dropout)
        self.lora_a = nn.Parameter(torch.randn(rank, base.in_features) / math.sqrt(base.in_features))
        self.lora_b = nn.Parameter(torch.zeros(base.out_features, rank))

    def forward(self, x):
        return self.base(x) + (self.dropout(x) @ self.lora_a.t() @ self.lora_b.t()) * self.scale

    def merged(self):
        with torch.no_grad():
            self.base.weight += self.scale * (self.lora_b @ self.lora_a)
        return self.base


class Block(nn.Module):
    def __init__(self, d, n_heads):
        super().__init__()
        self.n_heads = n_heads
        self.ln1 = nn.LayerNorm(d)
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.ln2 = nn.LayerNorm(d)
        self.fc1 = nn.Linear(d, 4 * d)
        self.fc2 = nn.Linear(4 * d, d)

    def forward(self, x, attn_mask, cache=None):
        B, T, D = x.shape
        h = self.n_heads
        q, k, v = self.qkv(self.ln1(x)).split(D, dim=2)
        q = q.view(B, T, h, D // h).transpose(1, 2)
        k = k.view(B, T, h, D // h).transpose(1, 2)
        v = v.view(B, T, h, D // h).transpose(1, 2)
        if cache is not None:
            if "k" in cache:
                k = torch.cat([cache["k"], k], dim=2)
                v = torch.cat([cache["v"], v], dim=2)
            cache["k"], cache["v"] = k, v
        att = (q @ k.transpose(-2, -1)) / math.sqrt(D // h)
        att = att.masked_fill(~attn_mask, float("-inf")).softmax(dim=-1)
        y = (att @ v).transpose(1, 2).reshape(B, T, D)
        x = x + self.proj(y)
        return x + self.fc2(F.gelu(self.fc1(self.ln2(x))))


class MicroGPT(nn.Module):
    def __init__(self, d_model, n_layers, n_heads, block_size, vocab_size=tokenizer.VOCAB_SIZE):
        super().__init__()
        self.config = dict(d_model=d_model, n_layers=n_layers, n_heads=n_heads, block_size=block_size)
        self.block_size = block_size
        self.tok = nn.Embedding(vocab_size, d_model)
        self.pos = nn.Embedding(block_size, d_model)
        self.blocks = nn.ModuleList(Block(d_model, n_heads) for _ in range(n_layers))
        self.ln_f = nn.LayerNorm(d_model)
        self.apply(self._init)

    @staticmethod
    def _init(m):
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, std=0.02)
        if isinstance(m, nn.Linear) and m.bias is not None:
            nn.init.zeros_(m.bias)

    def forward(self, idx, positions=None, key_mask=None, caches=None):
        """idx (B,T). positions (B,T) default 0..T-1. key_mask (B,Tk) marks
        real (non-pad) keys including cached ones. Returns logits (B,T,V)."""
        B, T = idx.shape
        past = caches[0]["k"].shape[2] if caches and "k" in caches[0] else 0
        if positions is None:
            positions = torch.arange(past, past + T).expand(B, T)
        x = self.tok(idx) + self.pos(positions.clamp(max=self.block_size - 1))
        causal = torch.ones(T, past + T, dtype=torch.bool).tril(diagonal=past)
        mask = causal.view(1, 1, T, past + T)
        if key_mask is not None:
            # Each query may always see itself, so left-pad rows never get an
            # all-masked softmax (NaN would leak through 0 * NaN in att @ v).
            own = torch.zeros(T, past + T, dtype=torch.bool)
            own[:, past:] = torch.eye(T, dtype=torch.bool)
            mask = (mask & key_mask.view(B, 1, 1, past + T)) | own.view(1, 1, T, past + T)
        for i, block in enumerate(self.blocks):
            x = block(x, mask, caches[i] if caches is not None else None)
        return self.ln_f(x) @ self.tok.weight.t()

    # --- LoRA -----------------------------------------------------------
    def add_lora(self, rank, alpha, dropout):
        """Freeze everything, wrap attention and MLP linears with adapters."""
        for p in self.parameters():
            p.requires_grad_(False)
        for block in self.blocks:
            for name in ("qkv", "proj", "fc1", "fc2"):
                setattr(block, name, LoRALinear(getattr(block, name), rank, alpha, dropout))

    def merge_lora(self):
        for block in self.blocks:
            for name in ("qkv", "proj", "fc1", "fc2"):
                layer = getattr(block, name)
                if isinstance(layer, LoRALinear):
                    setattr(block, name, layer.merged())
        for p in self.parameters():
            p.requires_grad_(True)


def build(name):
    return MicroGPT(**CONFIGS[name])


def save(model, path, extra=None):
    """Atomic save of weights + architecture so any checkpoint is self-contained."""
    import io
    import os
    import tempfile
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    # Serialize to memory first: torch.save names the zip records after the
    # target file, so saving to a random tmp name would change the bytes.
    buffer = io.BytesIO()
    torch.save({"config": model.config, "state_dict": model.state_dict(), "extra": extra or {}}, buffer)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=".pt")
    with os.fdopen(fd, "wb") as f:
        f.write(buffer.getvalue())
    os.replace(tmp, path)


def load(path):
    blob = torch.load(path, map_location="cpu")
    model = MicroGPT(**blob["config"])
    model.load_state_dict(blob["state_dict"])
    return model
