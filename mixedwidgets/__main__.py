"""``python -m mixedwidgets fit DATA FORMULA [options]``: see mixedwidgets.cli."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
