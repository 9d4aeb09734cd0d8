"""The built-in models (pure torch, random weights, no download). Imported only in the child process.

Each factory takes keyword arguments (`batch`, `seq_len`, `dtype`, sizes) and returns
`(model, example_inputs)` or `(model, example_inputs, more_inputs)`, `more_inputs` being further
input tuples the run calls after the first (a second shape, to show a recompile).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def _dtype(dtype: object) -> torch.dtype:
    if isinstance(dtype, torch.dtype):
        return dtype
    return getattr(torch, str(dtype or "float32"))


class RMSNorm(nn.Module):
    """Root-mean-square layer norm (Llama)."""

    def __init__(self, dim: int, eps: float = 1e-6) -> None:
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Normalise the last dimension."""
        var = x.float().pow(2).mean(-1, keepdim=True)
        return (x.float() * torch.rsqrt(var + self.eps)).to(x.dtype) * self.weight


def _rotate_half(x: torch.Tensor) -> torch.Tensor:
    a, b = x.chunk(2, dim=-1)
    return torch.cat((-b, a), dim=-1)


class Attention(nn.Module):
    """Multi-head causal self-attention with rotary positions, through F.scaled_dot_product_attention."""

    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.heads, self.head_dim = heads, dim // heads
        self.qkv = nn.Linear(dim, 3 * dim, bias=False)
        self.out = nn.Linear(dim, dim, bias=False)

    def forward(self, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
        """Attend over the sequence."""
        b, s, d = x.shape
        q, k, v = self.qkv(x).view(b, s, 3, self.heads, self.head_dim).transpose(1, 3).unbind(2)
        q = q * cos + _rotate_half(q) * sin
        k = k * cos + _rotate_half(k) * sin
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        return self.out(y.transpose(1, 2).reshape(b, s, d))


class Block(nn.Module):
    """Pre-norm decoder block: attention then SwiGLU MLP, both residual."""

    def __init__(self, dim: int, heads: int, hidden: int) -> None:
        super().__init__()
        self.attn_norm, self.mlp_norm = RMSNorm(dim), RMSNorm(dim)
        self.attn = Attention(dim, heads)
        self.gate = nn.Linear(dim, hidden, bias=False)
        self.up = nn.Linear(dim, hidden, bias=False)
        self.down = nn.Linear(hidden, dim, bias=False)

    def forward(self, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
        """One decoder layer."""
        x = x + self.attn(self.attn_norm(x), cos, sin)
        h = self.mlp_norm(x)
        return x + self.down(F.silu(self.gate(h)) * self.up(h))


class TinyLlama(nn.Module):
    """A small Llama-style decoder returning logits."""

    def __init__(self, vocab: int, dim: int, heads: int, layers: int, hidden: int, max_seq: int) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.layers = nn.ModuleList(Block(dim, heads, hidden) for _ in range(layers))
        self.norm = RMSNorm(dim)
        self.lm_head = nn.Linear(dim, vocab, bias=False)
        head_dim = dim // heads
        inv = 1.0 / (10000 ** (torch.arange(0, head_dim, 2).float() / head_dim))
        freqs = torch.outer(torch.arange(max_seq).float(), inv)
        emb = torch.cat((freqs, freqs), dim=-1)
        self.register_buffer("cos", emb.cos(), persistent=False)
        self.register_buffer("sin", emb.sin(), persistent=False)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """Logits for every position."""
        s = tokens.shape[1]
        x = self.embed(tokens)
        cos, sin = self.cos[:s].to(x.dtype), self.sin[:s].to(x.dtype)
        for layer in self.layers:
            x = layer(x, cos, sin)
        return self.lm_head(self.norm(x))


def tiny_llama(
    batch: int = 2,
    seq_len: int = 32,
    dtype: object = "float32",
    vocab: int = 256,
    dim: int = 64,
    heads: int = 4,
    layers: int = 2,
    hidden: int = 128,
    **_: object,
) -> tuple[nn.Module, tuple[torch.Tensor, ...]]:
    """The default model: a 2-layer Llama-style decoder on (batch, seq_len) token ids."""
    torch.manual_seed(0)
    model = TinyLlama(vocab, dim, heads, layers, hidden, max(seq_len, 1)).to(_dtype(dtype))
    tokens = torch.randint(0, vocab, (batch, seq_len))
    return model, (tokens,)


class MLP(nn.Module):
    """Linear -> GELU, three times."""

    def __init__(self, features: int, hidden: int) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(features, hidden), nn.GELU(), nn.Linear(hidden, hidden), nn.GELU(), nn.Linear(hidden, features)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Apply the layers."""
        return self.net(x)


def mlp(
    batch: int = 2, dtype: object = "float32", features: int = 32, hidden: int = 64, **_: object
) -> tuple[nn.Module, tuple[torch.Tensor, ...]]:
    """A small MLP on a (batch, features) input."""
    torch.manual_seed(0)
    dt = _dtype(dtype)
    return MLP(features, hidden).to(dt), (torch.randn(batch, features, dtype=dt),)


class GraphBreakMLP(nn.Module):
    """Two halves separated by an explicit graph break, so Dynamo compiles two graphs."""

    def __init__(self, features: int, hidden: int) -> None:
        super().__init__()
        self.first = nn.Sequential(nn.Linear(features, hidden), nn.GELU())
        self.second = nn.Sequential(nn.Linear(hidden, features), nn.Tanh())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """First half, a graph break, second half."""
        h = self.first(x)
        torch._dynamo.graph_break()
        return self.second(h)


def graph_break(
    batch: int = 2, dtype: object = "float32", features: int = 32, hidden: int = 64, **_: object
) -> tuple[nn.Module, tuple[torch.Tensor, ...], list[tuple[torch.Tensor, ...]]]:
    """A model with one graph break, run again on batch + 1 so both graphs recompile (dynamic)."""
    torch.manual_seed(0)
    dt = _dtype(dtype)
    model = GraphBreakMLP(features, hidden).to(dt)
    return model, (torch.randn(batch, features, dtype=dt),), [(torch.randn(batch + 1, features, dtype=dt),)]
