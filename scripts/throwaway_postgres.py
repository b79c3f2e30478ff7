"""A throwaway PostgreSQL server from Debian's packages, for the tests and the benchmarks.

    with throwaway_postgres.started() as server:
        server.url          # postgresql://digits@127.0.0.1:<port>/postgres
        server.processes()  # the postmaster and its children, e.g. to freeze it with SIGSTOP

initdb in a temporary folder (as the postgres user when run as root: PostgreSQL refuses root),
started on a free port, stopped and removed afterwards.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


class Unavailable(RuntimeError):
    """No PostgreSQL server could be started; the message says why and what to install."""


def bin_folder() -> Path | None:
    """The newest Debian PostgreSQL server's bin folder, if one is installed."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: p.parts[-3])
    return found[-1].parent if found else None


@dataclass(frozen=True)
class Server:
    """A running throwaway server."""

    url: str
    data: Path

    def processes(self) -> list[int]:
        """The postmaster's process id and its children's."""
        postmaster = int((self.data / "postmaster.pid").read_text().split()[0])
        children = subprocess.run(["pgrep", "-P", str(postmaster)], capture_output=True, text=True)
        return [postmaster, *map(int, children.stdout.split())]


@contextlib.contextmanager
def started() -> Iterator[Server]:
    """A new server for the duration; `Unavailable` when none can be started."""
    bindir = bin_folder()
    if bindir is None:
        raise Unavailable(
            "No PostgreSQL server is installed: install Debian's postgresql package "
            "(`make system-packages` does)."
        )
    as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    folder = Path(tempfile.mkdtemp(prefix="digits-postgres-"))
    if as_user:
        shutil.chown(folder, "postgres", "postgres")
    data, port = folder / "data", free_port()
    run = functools.partial(subprocess.run, check=True, capture_output=True, text=True)
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1"
    try:
        run([*as_user, bindir / "initdb", "-D", data, "-U", "digits", "--auth=trust", "-E", "UTF8"])
        pg_ctl = [*as_user, bindir / "pg_ctl", "-D", data]
        run([*pg_ctl, "-o", options, "-l", folder / "log", "-w", "start"])
    except subprocess.CalledProcessError as exc:
        log = (folder / "log").read_text() if (folder / "log").exists() else ""
        shutil.rmtree(folder, ignore_errors=True)
        raise Unavailable(
            f"Could not start PostgreSQL from {bindir}: {exc.stderr}{exc.stdout}{log}"
        ) from exc
    try:
        yield Server(f"postgresql://digits@127.0.0.1:{port}/postgres", data)
    finally:
        subprocess.run([*pg_ctl, "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
