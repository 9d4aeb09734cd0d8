"""transformers architectures built from their config classes: small sizes, random weights, offline."""

from __future__ import annotations

import os

from ...errors import EXIT_USAGE, CompileprofError

_SMALL = {
    "vocab_size": 256,
    "hidden_size": 64,
    "intermediate_size": 128,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "max_position_embeddings": 128,
}

_GPT2 = {"vocab_size": 256, "n_embd": 64, "n_layer": 2, "n_head": 4, "n_positions": 128}


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

    classes = {
        "llama": ("LlamaConfig", "LlamaForCausalLM", _SMALL),
        "qwen2": ("Qwen2Config", "Qwen2ForCausalLM", _SMALL),
        "mistral": ("MistralConfig", "MistralForCausalLM", _SMALL),
        "gpt2": ("GPT2Config", "GPT2LMHeadModel", _GPT2),
    }
    config_name, model_name, sizes = classes[arch]
    config_cls = getattr(transformers, config_name)
    known = set(config_cls().to_dict())
    fields = {**sizes, **{k: v for k, v in kwargs.items() if k in known}}
    config = config_cls(**fields)
    if hasattr(config, "use_cache"):
        config.use_cache = False
    torch.manual_seed(0)
    dt = dtype if isinstance(dtype, torch.dtype) else getattr(torch, str(dtype or "float32"))
    model = getattr(transformers, model_name)(config).to(dt)
    ids = torch.randint(0, config.vocab_size, (batch, seq_len))
    return _logits_only(model), (ids,)


def _logits_only(model):  # a class built lazily so torch is imported only here
    import torch

    class LogitsOnly(torch.nn.Module):
        """Call a transformers causal LM and return its logits tensor (no cache, no dict output)."""

        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner
            self.display_name = type(inner).__name__

        def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
            """Logits for every position."""
            return self.inner(input_ids=input_ids, use_cache=False).logits

    return LogitsOnly(model)
