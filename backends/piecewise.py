"""The piecewise backend: split the Dynamo graph at splitting ops (attention by default), run those
eagerly and compile every other piece with Inductor, once for a dynamic range and once per chosen
size, the way vLLM does, writing vLLM-shaped TORCH_TRACE artifacts under a chosen prefix.

Trace labels (chromium spans): `<prefix>_backend` around everything, `<prefix>_split_graph`,
`<prefix>_piecewise_interpret`, `<prefix>_compile_piece` around each compile, and the work done
only for the trace under `<prefix>_log_compile_start_torch_trace_only` (the method writing the
compile-start artifact, as in vLLM), `<prefix>_log_config_torch_trace_only` and
`<prefix>_graph_dump_torch_trace_only` (graph dumps with `print_readable`).
"""

from __future__ import annotations

import json
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.fx as fx
from torch._dynamo.utils import dynamo_timed
from torch._logging import trace_structured
from torch._subclasses.fake_tensor import FakeTensor
from torch.fx.passes.split_module import split_module

from .options import BackendOptions

DEFAULT_SPLIT_OPS = (
    "aten::scaled_dot_product_attention",
    "aten::_scaled_dot_product_flash_attention",
    "aten::_scaled_dot_product_flash_attention_for_cpu",
    "aten::_scaled_dot_product_efficient_attention",
    "aten::_scaled_dot_product_cudnn_attention",
)
_TORCH_FUNCTION_MODULES = (
    "torch",
    "torch.nn.functional",
    "torch._C._nn",
    "torch._C._VariableFunctions",
    "torch.functional",
)


def op_name(node: fx.Node) -> str | None:
    """`ns::op.overload` (or `ns::op`) of a call_function node; torch functions map to `aten::name`."""
    if node.op != "call_function":
        return None
    target = node.target
    if isinstance(target, torch._ops.OpOverload):
        return f"{target.namespace}::{target._opname}.{target._overloadname}"
    if isinstance(target, torch._ops.OpOverloadPacket):
        ns, _, name = target._qualified_op_name.partition("::")
        return f"{ns}::{name}"
    module = getattr(target, "__module__", None) or ""
    name = getattr(target, "__name__", None)
    if name and (module in _TORCH_FUNCTION_MODULES or (module == "" and hasattr(torch._C._nn, name))):
        return f"aten::{name}"
    return None


def matches(name: str | None, split_ops: Sequence[str]) -> bool:
    """True when op `name` is one of `split_ops` (`ns::op` matches every overload of it)."""
    if name is None:
        return False
    base = name.split(".", 1)[0]
    return any(spec == name or spec == base for spec in split_ops)


@dataclass(slots=True)
class Piece:
    """One child module of the split graph."""

    name: str  # submod_<id>
    graph_id: int
    is_splitting: bool
    ops: int
    index: int | None = None  # 0..N-1 among compiled pieces


def split_graph(gm: fx.GraphModule, split_ops: Sequence[str]) -> tuple[fx.GraphModule, list[Piece]]:
    """Split `gm` so each run of splitting ops is a piece of its own; keep the original order."""
    node_to_id: dict[fx.Node, int] = {}
    splitting: set[int] = set()
    current, last_was_split = 0, False
    for node in gm.graph.nodes:
        if node.op in ("placeholder", "output"):
            continue
        if node.op == "call_function" and node.target is operator.getitem and node.args[0] in node_to_id:
            node_to_id[node] = node_to_id[node.args[0]]  # getitem follows its producer
            continue
        if matches(op_name(node), split_ops):
            if not last_was_split:
                current += 1
                splitting.add(current)
            node_to_id[node] = current
            last_was_split = True
        else:
            if last_was_split:
                current += 1
            node_to_id[node] = current
            last_was_split = False
    split = split_module(gm, None, lambda n: node_to_id[n], keep_original_order=True)
    pieces = []
    counts: dict[int, int] = {}
    for node, gid in node_to_id.items():
        if node.op == "call_function" and node.target is not operator.getitem:
            counts[gid] = counts.get(gid, 0) + 1
        elif node.op in ("call_method", "call_module"):
            counts[gid] = counts.get(gid, 0) + 1
    for name, _ in split.named_children():
        gid = int(name.rsplit("_", 1)[1])
        pieces.append(Piece(name, gid, gid in splitting, counts.get(gid, 0)))
    index = 0
    for p in pieces:
        if not p.is_splitting:
            p.index = index
            index += 1
    return split, pieces


def _piece_inputs(split: fx.GraphModule, wanted: set[str], example_inputs: Sequence[Any]) -> dict[str, list[Any]]:
    """The (fake) inputs each wanted child module is called with, from running `split` under the fake mode."""
    seen: dict[str, list[Any]] = {}

    class Collect(fx.Interpreter):
        def call_module(self, target: Any, args: Any, kwargs: Any) -> Any:
            if target in wanted:
                seen[target] = list(args)
            return super().call_module(target, args, kwargs)

    fake_mode = torch._guards.detect_fake_mode(example_inputs)
    if fake_mode is None:
        from torch._subclasses.fake_tensor import FakeTensorMode

        fake_mode = FakeTensorMode()
    fake_args = [
        fake_mode.from_tensor(t) if isinstance(t, torch.Tensor) and not isinstance(t, FakeTensor) else t
        for t in example_inputs
    ]
    with fake_mode:
        Collect(split).run(*fake_args)
    return seen


def _symbol_slot(inputs: Sequence[Any]) -> tuple[int, int | None] | None:
    """Where the dynamic size shows at run time: (input index, dim) of a tensor dim that is exactly a
    symbol, or (index, None) for a SymInt input."""
    for i, x in enumerate(inputs):
        if isinstance(x, torch.SymInt) and x.node.expr.is_Symbol:
            return i, None
    for i, x in enumerate(inputs):
        if isinstance(x, torch.Tensor):
            for d, size in enumerate(x.shape):
                if isinstance(size, torch.SymInt) and size.node.expr.is_Symbol:
                    return i, d
    return None


def _concrete(x: Any, size: int) -> Any:
    """A real input like fake `x` with every symbolic size evaluated at `size`."""

    def at(v: Any) -> int:
        if isinstance(v, torch.SymInt):
            expr = v.node.expr
            return int(expr.subs(dict.fromkeys(expr.free_symbols, size)))
        return int(v)

    if isinstance(x, torch.SymInt):
        return at(x)
    if isinstance(x, torch.Tensor):  # same layout as the traced input: the compiled code asserts strides
        shape, stride = [at(s) for s in x.shape], [at(s) for s in x.stride()]
        return torch.empty_strided(shape, stride, dtype=x.dtype, device=x.device).zero_()
    return x


class PieceRunner(torch.nn.Module):
    """Calls the compile made for the exact runtime size when there is one, else the general compile."""

    def __init__(self, general: Callable[..., Any], sized: dict[int, Callable[..., Any]], slot: tuple | None) -> None:
        super().__init__()
        self.general, self.sized, self.slot = general, sized, slot
        self.calls: dict[str, int] = {"general": 0, **{str(s): 0 for s in sized}}

    def forward(self, *args: Any) -> Any:
        """Dispatch on the runtime size."""
        fn = self.general
        if self.sized and self.slot is not None:
            i, d = self.slot
            size = int(args[i]) if d is None else int(args[i].shape[d])
            if size in self.sized:
                fn = self.sized[size]
                self.calls[str(size)] += 1
                return _unwrap(fn(*args))
        self.calls["general"] += 1
        return _unwrap(fn(*args))


def _unwrap(out: Any) -> Any:
    # A compiled graph returns a list/tuple even for a module that returns one value.
    if isinstance(out, (list, tuple)) and len(out) == 1:
        return out[0]
    return out


@dataclass
class PiecewiseBackend:
    """A Dynamo backend: `torch.compile(model, backend=PiecewiseBackend(options), fullgraph=True)`."""

    options: BackendOptions
    pieces: list[Piece] = field(default_factory=list)
    compiles: int = 0

    @property
    def prefix(self) -> str:
        """The artifact and span name prefix (`compileprof`, or `vllm` to read exactly like vLLM)."""
        return self.options.artifact_prefix

    @property
    def split_ops(self) -> tuple[str, ...]:
        """The splitting ops in effect (the default: attention)."""
        return DEFAULT_SPLIT_OPS if self.options.split_ops is None else tuple(self.options.split_ops)

    def __call__(self, gm: fx.GraphModule, example_inputs: Sequence[Any]) -> Callable[..., Any]:
        """Split, then compile each non-splitting piece for the dynamic range and each compile size."""
        p = self.prefix
        with dynamo_timed(f"{p}_backend"):
            with dynamo_timed(f"{p}_split_graph"):
                split, pieces = split_graph(gm, self.split_ops)
            self.pieces = pieces
            compiled = [x for x in pieces if not x.is_splitting]
            sizes = sorted(set(self.options.compile_sizes))
            with dynamo_timed(f"{p}_log_config_torch_trace_only"):
                self._log_config(pieces, sizes)
            with dynamo_timed(f"{p}_graph_dump_torch_trace_only"):
                trace_structured(
                    "graph_dump",
                    metadata_fn=lambda: {"name": f"{p}_piecewise_split_graph"},
                    payload_fn=lambda: split.print_readable(print_output=False),
                )
            with dynamo_timed(f"{p}_piecewise_interpret"):
                inputs = _piece_inputs(split, {x.name for x in compiled}, example_inputs)
            total = len(compiled) * (1 + len(sizes))
            for piece in compiled:
                args = inputs[piece.name]
                submod = getattr(split, piece.name)
                slot = _symbol_slot(args)
                general = self._compile(piece, submod, args, None, total, first=True)
                sized = {}
                for size in sizes if slot is not None else []:
                    concrete = [_concrete(a, size) for a in args]
                    sized[size] = self._compile(piece, submod, concrete, size, total, first=False)
                setattr(split, piece.name, PieceRunner(general, sized, slot))
        return split

    def _log_config(self, pieces: list[Piece], sizes: list[int]) -> None:
        config = {
            "splitting_ops": list(self.split_ops),
            "compile_sizes": sizes,
            "inductor_compile_config": self.options.inductor_options,
            "dynamic": self.options.dynamic,
            "num_pieces": len(pieces),
            "num_compiled_pieces": sum(not x.is_splitting for x in pieces),
            "num_splitting_pieces": sum(x.is_splitting for x in pieces),
            "pieces": [
                {"submod_name": x.name, "piecewise_index": x.index, "is_splitting": x.is_splitting, "ops": x.ops}
                for x in pieces
            ],
        }
        trace_structured(
            "artifact",
            metadata_fn=lambda: {"name": f"{self.prefix}_compilation_config", "encoding": "json"},
            payload_fn=lambda: json.dumps(config),
        )

    def log_compile_start(
        self, piece: Piece, size: int | None, total: int, submod: fx.GraphModule, first: bool
    ) -> None:
        """Write the compile-start artifact (and the piece's graph on its first compile); timed as
        `<prefix>_log_compile_start_torch_trace_only`, as vLLM times its own."""
        p = self.prefix
        with dynamo_timed(f"{p}_log_compile_start_torch_trace_only"):
            start = {
                "piecewise_index": piece.index,
                "submod_name": piece.name,
                "total_piecewise_compiles": total,
                "compile_range_start": size if size is not None else 1,
                "compile_range_end": size if size is not None else None,
                "is_single_size": size is not None,
                "is_cudagraph_capture_size": False,
            }
            trace_structured(
                "artifact",
                metadata_fn=lambda: {"name": f"{p}_piecewise_compile_start", "encoding": "json"},
                payload_fn=lambda: json.dumps(start),
            )
        if first:
            with dynamo_timed(f"{p}_graph_dump_torch_trace_only"):
                trace_structured(
                    "graph_dump",
                    metadata_fn=lambda: {"name": f"{p}_{piece.name}"},
                    payload_fn=lambda: submod.print_readable(print_output=False),
                )

    def _compile(
        self, piece: Piece, submod: fx.GraphModule, args: list[Any], size: int | None, total: int, first: bool
    ) -> Callable[..., Any]:
        self.log_compile_start(piece, size, total, submod, first)
        saved = _take_logging_overhead()
        try:
            with dynamo_timed(f"{self.prefix}_compile_piece"):
                return _inductor_compile(submod, args, size is None, dict(self.options.inductor_options))
        finally:
            _give_back_logging_overhead(saved)
            self.compiles += 1


def _take_logging_overhead() -> dict[str, float]:
    """Clear torch's per-compile logging-overhead counter (so figures do not pile up across the
    piece compiles), returning what it held."""
    from torch._logging import _internal

    saved = dict(_internal.structured_logging_overhead)
    _internal.structured_logging_overhead.clear()
    return saved


def _give_back_logging_overhead(saved: dict[str, float]) -> None:
    """Add back what the counter held before the piece compile, so the frame's total stays whole."""
    from torch._logging import _internal

    for key, value in saved.items():
        _internal.structured_logging_overhead[key] += value


def _inductor_compile(gm: fx.GraphModule, args: list[Any], dynamic: bool, options: dict[str, Any]) -> Callable:
    """`standalone_compile` where torch has it (>= 2.8), else `compile_fx`."""
    import torch._inductor as inductor

    if hasattr(inductor, "standalone_compile"):
        mode = "from_tracing_context" if dynamic else "from_example_inputs"
        return inductor.standalone_compile(gm, args, dynamic_shapes=mode, options={"config_patches": options})
    from torch._inductor.compile_fx import compile_fx

    return compile_fx(gm, args, config_patches=options)


def compile_kwargs(options: BackendOptions) -> dict[str, Any]:
    """`torch.compile` keyword arguments for the piecewise backend."""
    return {"backend": PiecewiseBackend(options), "fullgraph": True}
