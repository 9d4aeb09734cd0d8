"""Ray, the optional engine of `sweep --ray` and `report --ray`: found, connected to, and said plainly
when it is not there. compileprof builds nothing of its own for scheduling, retries or transfer: tasks
are Ray tasks (retried by Ray when their node dies), results come back through Ray's object store.

Every node must have compileprof (and, for sweeps, torch) installed in the Python that runs Ray's
workers; a local cluster started from this environment's `ray` has.
"""

from __future__ import annotations

import logging
import socket
from typing import Any

from .errors import EXIT_USAGE, CompileprofError

INSTALL = "pip install 'compileprof[ray]' (or pip install ray)"


def require_ray() -> Any:
    """The `ray` module; a usage error (exit 2) saying how to install it where it is absent."""
    try:
        import ray
    except ImportError:
        raise CompileprofError(f"--ray needs Ray: {INSTALL}", EXIT_USAGE) from None
    return ray


def connect(address: str) -> Any:
    """Connect this process to the Ray cluster at `address` (`auto`: the one this machine runs, as
    `ray start --head` left it; else `HOST:PORT` or `ray://HOST:PORT`); the `ray` module."""
    ray = require_ray()
    if ray.is_initialized():
        return ray
    _reachable(address)
    try:
        ray.init(address=address, logging_level=logging.WARNING, log_to_driver=False, configure_logging=False)
    except (ConnectionError, ValueError, RuntimeError) as err:
        first = str(err).strip().splitlines()[0][:300] if str(err).strip() else type(err).__name__
        raise CompileprofError(
            f"--ray {address}: no Ray cluster to connect to ({first}); start one with `ray start --head`, "
            "or give its address (HOST:PORT)",
            EXIT_USAGE,
        ) from None
    return ray


def _reachable(address: str, timeout_s: float = 3.0) -> None:
    """A usage error at once when HOST:PORT does not answer (Ray itself retries for a minute)."""
    if address == "auto":
        return
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        raise CompileprofError(f"--ray {address}: give auto or HOST:PORT (the head's address)", EXIT_USAGE)
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout_s).close()
    except OSError as err:
        raise CompileprofError(
            f"--ray {address}: nothing answers there ({err.strerror or err}); start a cluster with `ray start --head`, "
            "or give its address",
            EXIT_USAGE,
        ) from None


def cluster_cpus(ray: Any) -> int:
    """CPUs of the live nodes of the cluster this process is connected to (at least 1)."""
    return max(1, int(ray.cluster_resources().get("CPU", 1)))


def node_name(ray: Any) -> str:
    """The node this task runs on: its IP address and the start of its node id (two nodes on one
    machine share the address)."""
    ctx = ray.get_runtime_context()
    ip = ray.util.get_node_ip_address()
    return f"{ip}/{ctx.get_node_id()[:8]}"
