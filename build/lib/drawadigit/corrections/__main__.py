"""`python -m drawadigit.corrections stats|export`: the corrections' command line."""

import sys

from drawadigit.corrections.cli import main

sys.exit(main())
