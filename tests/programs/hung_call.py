"""A call that hangs for ever, bounded by `bounded.BoundedCalls`: prints "ok" once it times out.

The process must then exit at once, its hung thread notwithstanding.
"""

import threading

from drawadigit.web.corrections import bounded

calls = bounded.BoundedCalls(1, 0.1)
try:
    calls.run(threading.Event().wait)
except bounded.TimedOut:
    print("ok")
