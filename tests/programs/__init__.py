"""Programs the tests run in processes of their own, as a server worker or a converter would run
(no TensorFlow imported unless the program imports it), and `run`, which runs one."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
FLASKAPP = HERE.parent.parent / "FlaskApp"


def run(program: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run `program`, a file in this folder, with the app's modules importable; capture output."""
    return subprocess.run(
        [sys.executable, str(HERE / program), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONPATH": str(FLASKAPP)},
    )
