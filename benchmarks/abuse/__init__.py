"""Abuse: the attacks a public server meets in its first week, against the production server.

    python -m benchmarks.abuse [--url http://127.0.0.1:5000] [--seconds 20] [--only slow-clients]

Without `--url` it starts `make run`'s server (`gunicorn -c gunicorn.conf.py`) on a free port
with a fresh SQLite database and a review token, runs each attack for a bounded time while a
normal client draws, and prints one row per attack: what was done, what the normal client saw,
and whether it held. A benchmark, not a test: the figures depend on the machine (the attackers
run beside the server).
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
from pathlib import Path

from benchmarks.abuse.connections import big_images, connection_budget, slow_clients, small_items
from benchmarks.abuse.images import image_attacks, mutated_images
from benchmarks.abuse.models import model_attacks
from benchmarks.abuse.server import Target, production_server
from benchmarks.abuse.storage import (
    client_prediction,
    deleted_database,
    junk_corrections,
    postgres_frozen,
    rapid_corrections,
    review_routes,
    sqlite_locked,
)

ATTACKS = {
    "slow-clients": slow_clients,
    "budget": connection_budget,
    "sqlite-locked": sqlite_locked,
    "postgres-frozen": postgres_frozen,
    "junk-corrections": junk_corrections,
    "rapid-corrections": rapid_corrections,
    "review": review_routes,
    "client-prediction": client_prediction,
    "big-images": big_images,
    "hostile-images": image_attacks,
    "mutated-images": mutated_images,
    "small": small_items,
    "deleted-database": deleted_database,
    "model": model_attacks,  # last: it breaks the server's model file
}


def main(argv: list[str] | None = None) -> int:
    """Run the attacks and print what held."""
    parser = argparse.ArgumentParser(
        "python -m benchmarks.abuse", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--url", help="attack this server instead of starting one")
    parser.add_argument("--seconds", type=float, default=20, help="how long each attack lasts")
    parser.add_argument("--only", choices=sorted(ATTACKS), action="append")
    args = parser.parse_args(argv)
    with contextlib.ExitStack() as stack:
        if args.url:
            target = Target(args.url)
        else:
            workdir = Path(stack.enter_context(tempfile.TemporaryDirectory()))
            target = stack.enter_context(production_server(workdir))
        rows = []
        for name in args.only or ATTACKS:
            rows += ATTACKS[name](target, args)
            print(f"{name}: done", file=sys.stderr)
    print("| attack | what was done | normal client | held |")
    print("| --- | --- | --- | --- |")
    for row in rows:
        print(f"| {row.attack} | {row.done} | {row.normal} | {'yes' if row.held else 'NO'} |")
    return 0 if all(row.held for row in rows) else 1
