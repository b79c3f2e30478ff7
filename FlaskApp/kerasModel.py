"""The digit networks' command line: train one, export it, convert it for LiteRT.

    python FlaskApp/kerasModel.py train [--arch cnn|dense] [--epochs N] [--unipen-dir DIR] ...
    python FlaskApp/kerasModel.py export [--model model.h5] [--to exported/digits/1]
    python FlaskApp/kerasModel.py tflite [--model model.h5] [--to exported/model.tflite]

The same as `python -m drawadigit.training.cli`; the work is done in `drawadigit.training`.
"""

import sys

from drawadigit.training.cli import main

if __name__ == "__main__":
    sys.exit(main())
