"""`compileprof sweep` for real: three small models and a broken one under two variants, on this machine
and on a Ray cluster of two nodes this test starts on this machine (a head and a worker, one CPU each,
on the loopback); the same table either way, a failing model one failed cell, a worker node killed
mid-sweep and the sweep still complete (Ray retries the cells it ran), and `report --ray` equal to
`report`. Skipped, saying why, where Ray is not installed."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest
from compileprof.profiler.errors import EXIT_RUN_FAILED
from conftest import FIXTURES, run_cli

FACTORIES = textwrap.dedent(
    """
    import torch

    def small(batch=2, **kwargs):
        torch.manual_seed(0)
        model = torch.nn.Sequential(torch.nn.Linear(16, 16), torch.nn.ReLU(), torch.nn.Linear(16, 4))
        return model, (torch.randn(batch, 16),)

    def wide(batch=2, **kwargs):
        torch.manual_seed(0)
        model = torch.nn.Sequential(torch.nn.Linear(16, 64), torch.nn.GELU(), torch.nn.Linear(64, 8))
        return model, (torch.randn(batch, 16),)

    def broken(**kwargs):
        raise ValueError("this factory is broken on purpose")
    """
)
VARIANTS = ["--variant", "eager:--backend eager", "--variant", "aot:--backend aot_eager"]
STABLE = ("key", "status", "frames", "compiles", "graph_breaks", "recompiles", "pieces", "asserts", "cache_misses")


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("models")
    (root / "models.py").write_text(FACTORIES)
    return root / "models.py"


def suite(models: Path) -> list[str]:
    return ["mlp", f"{models}:small", f"{models}:wide", f"{models}:broken"]


def table(out: Path) -> list[tuple]:
    """The cells' deterministic columns (times differ run to run)."""
    rows = json.loads((out / "sweep.json").read_text())["rows"]
    return sorted(tuple(r[k] for k in STABLE) for r in rows)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """A head node and a worker node on this machine; the worker can be killed and started again."""

    def __init__(self) -> None:
        self.ray_bin = str(Path(sys.executable).with_name("ray"))
        self.tmp = Path(tempfile.mkdtemp(prefix="rt", dir="/tmp"))  # short: Ray's socket paths are limited
        self.env = {**os.environ, "RAY_TMPDIR": str(self.tmp)}
        self.port = _free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.worker: subprocess.Popen | None = None

    def start(self) -> None:
        subprocess.run([self.ray_bin, "start", "--head", "--port", str(self.port), "--num-cpus", "1",
                        "--disable-usage-stats", "--include-dashboard=false"],
                       env=self.env, check=True, capture_output=True, timeout=180)  # fmt: skip
        self.start_worker()

    def start_worker(self) -> None:
        self.worker = subprocess.Popen([self.ray_bin, "start", "--address", self.address, "--num-cpus", "1", "--block"],
                                       env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                       start_new_session=True)  # fmt: skip
        self.wait_nodes(2)

    def kill_worker(self) -> None:
        """The worker node dies: its raylet and workers are killed at once, as a lost machine."""
        assert self.worker is not None
        os.killpg(self.worker.pid, signal.SIGKILL)
        self.worker.wait()

    def wait_nodes(self, n: int, timeout_s: float = 120) -> None:
        import ray

        if not ray.is_initialized():
            ray.init(address=self.address, log_to_driver=False, configure_logging=False)
        deadline = time.monotonic() + timeout_s
        while sum(node["Alive"] for node in ray.nodes()) < n:
            assert time.monotonic() < deadline, f"the cluster did not reach {n} nodes"
            time.sleep(0.5)

    def stop(self) -> None:
        import ray

        ray.shutdown()
        if self.worker is not None and self.worker.poll() is None:
            os.killpg(self.worker.pid, signal.SIGKILL)
        subprocess.run([self.ray_bin, "stop", "--force"], env=self.env, capture_output=True, timeout=120)
        shutil.rmtree(self.tmp, ignore_errors=True)


@pytest.fixture(scope="module")
def cluster():
    pytest.importorskip("ray", reason="needs Ray (pip install 'compileprof[ray]'; .ci/run installs it)")
    c = Cluster()
    saved = os.environ.get("RAY_TMPDIR")
    os.environ["RAY_TMPDIR"] = str(c.tmp)
    try:
        c.start()
        yield c
    finally:
        c.stop()
        if saved is None:
            os.environ.pop("RAY_TMPDIR", None)
        else:
            os.environ["RAY_TMPDIR"] = saved


@pytest.fixture(scope="module")
def local_sweep(models, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("sweeps") / "local"
    result = run_cli("sweep", *suite(models), *VARIANTS, "-j", "2", "--out", str(out))
    assert result.exit_code == EXIT_RUN_FAILED, result.output  # the broken model's cells failed, nothing else
    return out


def test_a_local_sweep_runs_every_cell_and_a_broken_model_is_one_failed_cell_each(local_sweep):
    rows = {r[0]: r for r in table(local_sweep)}
    assert len(rows) == 8 and {k for k, r in rows.items() if r[1] != "ok"} == {"models-broken.eager",
                                                                               "models-broken.aot"}  # fmt: skip
    assert all(r[2] == 1 and r[3] == 1 for k, r in rows.items() if r[1] == "ok")  # one frame, one compile each
    doc = json.loads((local_sweep / "sweep.json").read_text())
    broken = next(r for r in doc["rows"] if r["key"] == "models-broken.eager")
    assert "this factory is broken on purpose" in broken["error"] and broken["exit_code"] == EXIT_RUN_FAILED
    assert (local_sweep / "mlp.eager" / "report.html").is_file() and (local_sweep / "sweep.html").is_file()
    assert "ValueError" in (local_sweep / "logs" / "models-broken.aot.txt").read_text()


def test_the_same_sweep_on_a_ray_cluster_gives_the_same_table(cluster, models, local_sweep, tmp_path):
    out = tmp_path / "ray"
    result = run_cli("sweep", *suite(models), *VARIANTS, "--ray", cluster.address, "--out", str(out))
    assert result.exit_code == EXIT_RUN_FAILED, result.output
    assert table(out) == table(local_sweep)
    doc = json.loads((out / "sweep.json").read_text())
    assert len({r["where"] for r in doc["rows"]}) == 2  # both nodes ran cells
    assert (out / "mlp.aot" / "report.html").is_file() and (out / "mlp.aot" / "cold" / "trace").is_dir()
    broken = next(r for r in doc["rows"] if r["key"] == "models-broken.eager")
    assert str(out / "models-broken.eager") in broken["error"]  # paths as they are here, not on the node


def test_report_on_ray_is_the_report(cluster):
    for path in (FIXTURES / "jobs", FIXTURES / "ranks2"):
        here = run_cli("report", str(path), "-f", "json")
        there = run_cli("report", str(path), "-f", "json", "--ray", cluster.address)
        assert there.exit_code == 0 and json.loads(there.stdout) == json.loads(here.stdout)


def test_a_sweep_survives_a_worker_node_dying_mid_sweep(cluster, models, tmp_path):
    out = tmp_path / "killed"
    import threading

    def kill_soon() -> None:
        deadline = time.monotonic() + 120
        while not list((out / "logs").glob("*.txt")) and time.monotonic() < deadline:
            time.sleep(0.2)  # a first cell came back: both nodes are busy with the next ones
        cluster.kill_worker()

    killer = threading.Thread(target=kill_soon)
    killer.start()
    result = run_cli("sweep", "mlp", f"{models}:small", f"{models}:wide", *VARIANTS, "--ray", cluster.address,
                     "--out", str(out))  # fmt: skip
    killer.join()
    assert result.exit_code == 0, result.output
    assert all(r[1] == "ok" for r in table(out)) and len(table(out)) == 6
    cluster.start_worker()
