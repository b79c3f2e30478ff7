"""Run a LiteRT interpreter, truncate its .tflite file under it, and run it again.

    python tests/programs/lite_truncated.py MODEL.tflite

Prints "same" when the answers before and after agree (the interpreter holds its own copy).
"""

import os
import sys

import numpy as np

from drawadigit.model import lite

forward = lite.LiteForward(sys.argv[1])
before = forward(np.ones((1, 28, 28), np.float32))
os.truncate(sys.argv[1], 0)
# An interpreter that maps its file dies of SIGBUS at its next read of the model (here its
# tensor details; XNNPACK copies the weights it takes, other ops read them from the file).
forward._interpreter.get_output_details()
after = forward(np.ones((1, 28, 28), np.float32))
print("same" if np.array_equal(before, after) else "different")
