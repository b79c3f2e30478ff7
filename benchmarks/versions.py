"""Running part of a benchmark against one version of the code, in a process of its own.

A version is a FlaskApp folder: this tree's or another checkout's, in the package layout
(`drawadigit/`) or the flat one before it (its modules directly in the folder). The part, a
file of `benchmarks/` whose top level imports neither the app nor `benchmarks`, runs as the
main module of `python -c` from that folder, which Python puts first on the import path: there
`import flaskapp` is that version's in either layout (`flaskapp.create_app` builds its app), and
nothing edits the import path.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
# -c: the folder it runs from is first on the path; the part sees its own file as sys.argv[0].
RUN = "import runpy, sys; sys.argv[:] = sys.argv[1:]; runpy.run_path(sys.argv[0], None, '__main__')"


def run(code: Path, part: str, job: dict, tmp: Path) -> dict:
    """Run `benchmarks/<part>.py` from the FlaskApp folder `code` on `job` (written to a file in
    `tmp` as JSON); what it wrote back, read as JSON."""
    sent, back = tmp / f"{part}-job.json", tmp / f"{part}-out.json"
    sent.write_text(json.dumps(job))
    command = [sys.executable, "-c", RUN, str(HERE / f"{part}.py"), str(sent), str(back)]
    subprocess.run(command, check=True, cwd=code)
    return json.loads(back.read_text())
