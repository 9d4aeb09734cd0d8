"""What a sweep runs: a suite of models (specs on the command line, a TOML file, or a built-in suite)
times its variants (named sets of `run` options); each model x variant is one cell, one `compileprof
run` with its own run directory.

A suite file:

    [sweep]
    models = ["tiny-llama", "hf:llama", "models.py:build"]
    [sweep.variants]
    inductor = "--backend inductor"
    piecewise = "--backend piecewise --compile-sizes 1,8"
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

from ..errors import EXIT_USAGE, CompileprofError
from ..run.zoo.catalog import HF_ARCHS

SUITES: dict[str, tuple[str, ...]] = {"hf-small": tuple(f"hf:{arch}" for arch in HF_ARCHS)}
DEFAULT_VARIANT = "default"
# Options a sweep sets itself for every cell: a variant may not give them.
OWNED = ("--out", "--force", "--quiet", "-q", "--format", "-f", "--history", "--help")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


@dataclass(frozen=True, slots=True)
class Variant:
    """A named set of `compileprof run` options."""

    name: str
    args: tuple[str, ...] = ()

    @property
    def options(self) -> str:
        """The options as one would type them."""
        return shlex.join(self.args)


@dataclass(frozen=True, slots=True)
class Cell:
    """One model under one variant: one run."""

    model: str
    variant: Variant

    @property
    def key(self) -> str:
        """The cell's directory name under the sweep's --out, and its name in tables and gates:
        `hf-llama.inductor` (the model spec made a safe file name, then the variant's name)."""
        return f"{model_slug(self.model)}.{self.variant.name}"


def model_slug(spec: str) -> str:
    """A model spec as a file name: `hf:llama` -> `hf-llama`, `path/to/models.py:build` -> `models-build`."""
    if ":" in spec and not spec.startswith("hf:"):
        target, _, fn = spec.rpartition(":")
        spec = f"{Path(target).stem}-{fn}"
    return re.sub(r"[^A-Za-z0-9_-]+", "-", spec).strip("-") or "model"


def parse_variant(text: str) -> Variant:
    """`NAME:OPTIONS` (`inductor:--backend inductor`); a bare NAME is the run's defaults."""
    name, _, options = text.partition(":")
    name = name.strip()
    if not _NAME.match(name):
        raise CompileprofError(
            f"--variant {text!r}: name it NAME:OPTIONS, NAME of letters, digits, '.', '_' or '-' "
            "(e.g. inductor:--backend inductor)",
            EXIT_USAGE,
        )
    try:
        args = tuple(shlex.split(options))
    except ValueError as err:
        raise CompileprofError(f"--variant {name}: its options do not parse ({err})", EXIT_USAGE) from None
    owned = [a for a in args if a.split("=", 1)[0] in OWNED]
    if owned:
        raise CompileprofError(
            f"--variant {name}: {owned[0].split('=', 1)[0]} is the sweep's to set for every cell; leave it out",
            EXIT_USAGE,
        )
    return Variant(name, args)


def load_models(items: list[str]) -> tuple[list[str], list[Variant]]:
    """The models SUITE names (each item a built-in suite, a suite file, or a model spec) and the
    variants suite files define."""
    models: list[str] = []
    variants: list[Variant] = []
    for item in items:
        if item in SUITES:
            models += SUITES[item]
        elif item.endswith(".toml"):
            more, defined = _suite_file(Path(item))
            models += more
            variants += defined
        else:
            models.append(item)
    if not models:
        raise CompileprofError("sweep: no model to run; give model specs, a suite file or hf-small", EXIT_USAGE)
    return list(dict.fromkeys(models)), variants


def _suite_file(path: Path) -> tuple[list[str], list[Variant]]:
    """`[sweep] models` and `[sweep.variants]` of a TOML file."""
    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise CompileprofError(f"{path}: cannot read the suite file ({err.strerror})", EXIT_USAGE) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise CompileprofError(f"{path}: not TOML ({err}); fix the suite file", EXIT_USAGE) from None
    sweep = data.get("sweep")
    models = sweep.get("models") if isinstance(sweep, dict) else None
    if not isinstance(models, list) or not all(isinstance(m, str) for m in models):
        raise CompileprofError(f'{path}: a suite file needs [sweep] models = ["MODEL", ...]', EXIT_USAGE)
    table = sweep.get("variants") or {}
    if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
        raise CompileprofError(f'{path}: [sweep.variants] maps a name to options: inductor = "--backend inductor"',
                               EXIT_USAGE)  # fmt: skip
    return models, [parse_variant(f"{name}:{options}") for name, options in table.items()]


def cells(models: list[str], variants: list[Variant]) -> list[Cell]:
    """Every model under every variant (the run's defaults when no variant is given), model by model."""
    chosen = variants or [Variant(DEFAULT_VARIANT)]
    names = [v.name for v in chosen]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise CompileprofError(f"--variant {twice[0]}: given twice; name each variant once", EXIT_USAGE)
    out = [Cell(m, v) for m in models for v in chosen]
    keys = [c.key for c in out]
    clash = next((k for k in keys if keys.count(k) > 1), None)
    if clash:
        raise CompileprofError(f"sweep: two models make the same cell name {clash}; rename one", EXIT_USAGE)
    return out
