"""Save the model at argv[1] over itself, so slowly that the test can kill the save half-way.

Prints "saving" once half a model is written.
"""

import sys
import time

from drawadigit.model import tf_runtime


def slow_save(self, path, *args, **kwargs):
    """Write half a model, then hang."""
    with open(path, "wb") as f:
        f.write(b"half a model")
        f.flush()
    print("saving", flush=True)
    time.sleep(60)  # the hang under test, until the test kills this process (else 60 s)


model = tf_runtime.load(sys.argv[1])
type(model).save = slow_save
tf_runtime.save_atomic(model, sys.argv[1])
