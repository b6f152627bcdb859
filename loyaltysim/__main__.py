"""``python -m loyaltysim``: the same command line as ``loyaltysim``."""

import sys

from loyaltysim.cli import main

if __name__ == "__main__":
    sys.exit(main())
