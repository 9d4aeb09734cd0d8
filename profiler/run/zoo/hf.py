"""transformers architectures built from their config classes: small sizes, random weights, offline.

Every config field below that an architecture's config has is set (each family names its sizes its own
way: `hidden_size`, `n_embd`, `d_model`, ...); token ids are kept inside the small vocabulary. A
decoder is built with its causal-LM head, an encoder with its masked-LM head (catalog.HF_ARCHS), and
called on `input_ids` alone; the compiled module returns the logits tensor.
"""

from __future__ import annotations

import os
from typing import Any

from ...errors import EXIT_USAGE, CompileprofError
from .catalog import HF_ARCHS

SMALL: dict[str, Any] = {
    "vocab_size": 256, "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2,
    "num_attention_heads": 4, "num_key_value_heads": 2, "max_position_embeddings": 128, "head_dim": 16,
    "n_embd": 64, "n_layer": 2, "n_head": 4, "n_positions": 128, "n_inner": 128, "n_ctx": 128, "rotary_dim": 8,
    "d_model": 64, "ffn_dim": 128, "num_layers": 2, "num_heads": 4, "embedding_size": 64,
    "num_local_experts": 4, "num_experts": 4, "num_experts_per_tok": 2, "moe_intermediate_size": 64,
    "shared_expert_intermediate_size": 64, "hidden_dim": 128, "dim": 64, "n_layers": 2, "n_heads": 4,
    "pad_token_id": 0, "bos_token_id": 1, "eos_token_id": 2,
}  # fmt: skip


def build(arch: str, batch: int = 2, seq_len: int = 32, dtype: object = "float32", **kwargs: object):
    """`(model, (input_ids,))` for architecture `arch`; `kwargs` override config fields it knows."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        import transformers
    except ImportError:
        raise CompileprofError(
            f"hf:{arch} needs transformers: pip install 'compileprof[hf]' (or pip install transformers)", EXIT_USAGE
        ) from None
    import torch

    known = set(transformers.AutoConfig.for_model(arch).to_dict())
    fields = {**{k: v for k, v in SMALL.items() if k in known}, **{k: v for k, v in kwargs.items() if k in known}}
    config = transformers.AutoConfig.for_model(arch, **fields)
    if hasattr(config, "use_cache"):
        config.use_cache = False
    head = transformers.AutoModelForCausalLM if HF_ARCHS[arch] == "causal" else transformers.AutoModelForMaskedLM
    torch.manual_seed(0)
    dt = dtype if isinstance(dtype, torch.dtype) else getattr(torch, str(dtype or "float32"))
    model = head.from_config(config).to(dt)
    ids = torch.randint(0, min(int(config.vocab_size), 256), (batch, seq_len))
    return _logits_only(model, HF_ARCHS[arch] == "causal"), (ids,)


def _logits_only(model: Any, causal: bool) -> Any:  # a class built lazily so torch is imported only here
    import torch

    class LogitsOnly(torch.nn.Module):
        """Call a transformers model and return its logits tensor (no cache, no dict output)."""

        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner
            self.display_name = type(inner).__name__
            self.causal = causal

        def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
            """Logits for every position."""
            if self.causal:
                return self.inner(input_ids=input_ids, use_cache=False).logits
            return self.inner(input_ids=input_ids).logits

    return LogitsOnly(model)
