"""Hold SQLite's write lock on the database file argv[1] (BEGIN EXCLUSIVE) until killed.

Prints "locked" once the lock is held, so that the test knows when to go on.
"""

import sqlite3
import sys
import time

connection = sqlite3.connect(sys.argv[1], isolation_level=None)
connection.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
time.sleep(120)
