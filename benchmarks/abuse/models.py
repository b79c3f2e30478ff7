"""The attacks on the model: weights holding NaN, and the served file broken under the server."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import h5py
import numpy as np

from benchmarks.abuse.server import Row, Target
from benchmarks.load import ROOT, free_port


def model_attacks(target: Target, args) -> list[Row]:
    """A model whose weights hold NaN; the served file truncated and a worker killed."""
    return [nan_weights(), broken_model_file(target)]


def poisoned_copy(folder: Path) -> Path:
    """The shipped model with NaN in its first kernel."""
    poisoned = folder / "nan.h5"
    shutil.copy(ROOT / "model.h5", poisoned)
    with h5py.File(poisoned, "r+") as f:
        kernels = []
        f.visititems(
            lambda name, item: (
                kernels.append(item) if isinstance(item, h5py.Dataset) and item.ndim > 1 else None
            )
        )
        kernels[0][...] = np.nan
    return poisoned


def nan_weights() -> Row:
    """`make run`'s server started on a model with NaN weights must refuse to start, saying why."""
    with tempfile.TemporaryDirectory() as folder:
        env = {
            "FLASK_MODEL_PATH": str(poisoned_copy(Path(folder))),
            "FLASK_MODEL_CACHE_DIR": folder,
        }
        command = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"]
        started = subprocess.run(
            [*command, "--bind", f"127.0.0.1:{free_port()}"],
            cwd=ROOT,
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            timeout=120,
        )
    said = re.search(r"answers probe digits with [^;]*", started.stderr)
    reason = said.group(0) if said else "no reason given"
    held = started.returncode != 0 and bool(said)
    return Row("model with NaN weights", f"gunicorn exited {started.returncode}", reason, held)


def broken_model_file(target: Target) -> Row:
    """The served model file truncated and a worker killed: the new worker must still serve."""
    model = target.model
    model.write_bytes(model.read_bytes()[: model.stat().st_size // 2])
    master = target.process.pid
    workers = [
        int(pid) for pid in Path(f"/proc/{master}/task/{master}/children").read_text().split()
    ]
    os.kill(workers[0], signal.SIGKILL)
    time.sleep(8)
    health = [target.request("GET", "/healthz")[0] for _ in range(10)]
    alive = target.process.poll() is None
    done = f"model.h5 truncated, worker {workers[0]} killed; server alive: {alive}"
    held = alive and set(health) == {200}
    return Row("model file broken under the server", done, f"/healthz {sorted(set(health))}", held)
