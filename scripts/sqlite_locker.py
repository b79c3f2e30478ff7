"""Hold SQLite's write lock on a database file, as another process would.

    python scripts/sqlite_locker.py DATABASE [SECONDS]

Begins an exclusive transaction on DATABASE, prints "locked" once it holds the lock, and keeps it
for SECONDS (default 120) or until killed. The storage tests and `benchmarks.abuse` use it to
show that a locked database makes corrections wait boundedly and never blocks predictions.
"""

import sqlite3
import sys
import time


def main(argv: list[str]) -> int:
    connection = sqlite3.connect(argv[0], isolation_level=None)
    connection.execute("BEGIN EXCLUSIVE")
    print("locked", flush=True)
    time.sleep(float(argv[1]) if len(argv) > 1 else 120)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
