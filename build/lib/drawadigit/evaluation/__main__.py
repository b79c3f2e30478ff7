"""`python -m drawadigit.evaluation`: evaluate a model file (see the package's docstring)."""

import sys

from drawadigit.evaluation import main

sys.exit(main())
