"""The built-in models and how a MODEL argument is read; importing this module does not import torch."""

from __future__ import annotations

import ast
import importlib.util
import math
import re
from dataclasses import dataclass
from pathlib import Path

from ...errors import EXIT_USAGE, CompileprofError

DTYPES = ("float32", "bfloat16", "float16", "float64")  # what --dtype accepts
DEFAULT_MODEL = "tiny-llama"

# name -> (factory in compileprof.profiler.run.zoo.builtin, one line for `compileprof models`)
BUILTIN: dict[str, tuple[str, str]] = {
    "tiny-llama": (
        "tiny_llama",
        "Llama-style decoder: embedding, RMSNorm, rotary positions, SDPA attention, SwiGLU MLP, 2 layers (default)",
    ),
    "mlp": ("mlp", "three Linear+GELU layers on a (batch, features) input"),
    "graph-break": (
        "graph_break",
        "an MLP with an explicit graph break, run on a second batch size so both graphs recompile",
    ),
}

# `hf:ARCH`: transformers architectures (their model_type) built offline from their config classes at a
# small size with random weights, and the head each is built with (a causal LM, or a masked LM for an
# encoder). The `hf-small` suite of `compileprof sweep` is all of them: decoders that cover the
# attention variants serving stacks compile (multi-head, grouped- and multi-query, ALiBi, rotary and
# partial rotary, sliding windows, parallel attention and MLP blocks, logit soft-capping, mixture-of-
# experts routing) and encoders that cover bidirectional attention, factorized embeddings (albert),
# bottlenecks (mobilebert), disentangled attention (deberta-v2), block-sparse attention (big_bird) and
# convolution mixing (convbert). Encoder-decoder models (t5, bart) need decoder inputs and are not listed.
HF_ARCHS: dict[str, str] = {
    **dict.fromkeys(
        ("llama", "mistral", "qwen2", "qwen3", "gemma", "gemma2", "gemma3_text", "phi", "phi3", "gpt2", "gptj",
         "gpt_neox", "opt", "bloom", "falcon", "stablelm", "starcoder2", "olmo", "olmo2", "cohere", "granite",
         "codegen", "mixtral", "qwen2_moe"), "causal"),
    **dict.fromkeys(
        ("bert", "roberta", "distilbert", "albert", "electra", "deberta-v2", "xlm-roberta", "mobilebert",
         "modernbert", "roformer", "convbert", "big_bird"), "masked"),
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class ModelSpec:
    """What MODEL names: a built-in model, a factory in a file or module, or a transformers architecture."""

    kind: str  # "builtin" | "file" | "module" | "hf"
    target: str  # builtin name, file path, module name, or hf architecture
    function: str | None = None  # factory function name for "file" and "module"

    @property
    def label(self) -> str:
        """The spec as the user wrote it (paths made absolute)."""
        if self.kind == "builtin":
            return self.target
        if self.kind == "hf":
            return f"hf:{self.target}"
        return f"{self.target}:{self.function}"

    def to_dict(self) -> dict[str, str | None]:
        """The JSON form (manifest.json)."""
        return {"kind": self.kind, "target": self.target, "function": self.function, "label": self.label}


_FACTORY = re.compile(r"^(?P<target>.+):(?P<fn>[A-Za-z_][A-Za-z0-9_]*)$")


def parse_model(text: str) -> ModelSpec:
    """Read a MODEL argument; raises `CompileprofError` (exit 2) with what to write instead."""
    text = text.strip()
    if text in BUILTIN:
        return ModelSpec("builtin", text)
    if text.startswith("hf:"):
        arch = text[3:].strip().lower()
        if arch not in HF_ARCHS:
            close = [a for a in HF_ARCHS if a.startswith(arch[:3])][:5] or list(HF_ARCHS)[:5]
            raise CompileprofError(
                f"{text}: not one of the {len(HF_ARCHS)} transformers architectures compileprof builds (such as "
                f"{', '.join('hf:' + a for a in close)}; `compileprof models` lists them all)",
                EXIT_USAGE,
            )
        return ModelSpec("hf", arch)
    m = _FACTORY.match(text)
    if m:
        target, fn = m.group("target"), m.group("fn")
        if target.endswith(".py") or "/" in target or "\\" in target:
            path = Path(target).expanduser()
            if not path.is_file():
                raise CompileprofError(f"{target}: no such file (MODEL is FILE.py:FUNCTION)", EXIT_USAGE)
            _check_defines(path, fn, text)
            return ModelSpec("file", str(path.resolve()), fn)
        if all(part.isidentifier() for part in target.split(".")):
            _check_module(target, fn, text)
            return ModelSpec("module", target, fn)
    raise CompileprofError(
        f"{text}: not a model; use a built-in name ({', '.join(BUILTIN)}), FILE.py:FUNCTION, "
        f"MODULE:FUNCTION or hf:ARCH (see `compileprof models`)",
        EXIT_USAGE,
    )


def _check_defines(path: Path, fn: str, text: str) -> None:
    """A usage error unless the file is Python that defines `fn` at top level (read, not imported)."""
    try:
        tree = ast.parse(path.read_bytes(), filename=str(path))
    except (SyntaxError, ValueError) as err:
        raise CompileprofError(f"{path}: not valid Python ({err}); fix the factory file", EXIT_USAGE) from None
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(t.id for t in targets if isinstance(t, ast.Name))
    if fn not in names and "*" not in names:
        raise CompileprofError(
            f"{text}: {path.name} defines no {fn!r} at top level (MODEL is FILE.py:FUNCTION)", EXIT_USAGE
        )


def _check_module(module: str, fn: str, text: str) -> None:
    """A usage error unless the module can be found (its source is read, not run, when it has one)."""
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        spec = None
    if spec is None:
        raise CompileprofError(f"{text}: no module named {module!r} on this Python's path", EXIT_USAGE)
    if spec.origin and spec.origin.endswith(".py"):
        _check_defines(Path(spec.origin), fn, text)


def parse_model_args(pairs: list[str], option: str = "--model-arg") -> dict[str, object]:
    """`key=value` options (for a factory, or Inductor's config); values read as int, float,
    true/false/none, else text. `option` names the flag in error messages."""
    out: dict[str, object] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or not key.isidentifier():
            raise CompileprofError(f"{option} {pair!r}: write KEY=VALUE (KEY a Python identifier)", EXIT_USAGE)
        try:
            out[key] = _value(raw.strip())
        except ValueError as err:
            raise CompileprofError(f"{option} {pair!r}: {err}", EXIT_USAGE) from None
    return out


def _value(raw: str) -> object:
    low = raw.lower()
    if low in ("true", "false"):
        return low == "true"
    if low in ("none", "null"):
        return None
    try:
        return int(raw)
    except ValueError:
        pass
    try:
        number = float(raw)
    except ValueError:
        return raw
    if not math.isfinite(number):
        raise ValueError("not a finite number")
    return number


_OP = re.compile(r"^[A-Za-z_]\w*::[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)?$")


def parse_split_ops(text: str | None) -> list[str] | None:
    """`--split-ops`: None keeps the default (attention); an empty text means no split (one piece)."""
    if text is None:
        return None
    ops = [o.strip() for o in text.split(",") if o.strip()]
    for op in ops:
        if not _OP.match(op):
            raise CompileprofError(
                f"--split-ops {op!r}: write NAMESPACE::OP or NAMESPACE::OP.OVERLOAD (e.g. aten::silu)", EXIT_USAGE
            )
    return ops


def parse_sizes(text: str) -> list[int]:
    """`--compile-sizes 1,8,32`: positive integers, sorted, without repeats."""
    sizes = set()
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        if not part.isdigit() or int(part) < 1:
            raise CompileprofError(f"--compile-sizes {part!r}: sizes are positive integers, e.g. 1,8,32", EXIT_USAGE)
        sizes.add(int(part))
    return sorted(sizes)


def parse_prefix(text: str) -> str:
    """`--artifact-prefix`: a Python identifier (artifact and span names start with it)."""
    if not text.isidentifier():
        raise CompileprofError(f"--artifact-prefix {text!r}: use letters, digits and _ (e.g. vllm)", EXIT_USAGE)
    return text
