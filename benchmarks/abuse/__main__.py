"""`python -m benchmarks.abuse`: run the attacks (see the package's docstring)."""

import sys

from benchmarks.abuse import main

sys.exit(main())
