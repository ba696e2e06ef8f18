"""python -m supermachine_kernel: the supermachine-kernel CLI."""

import sys

from ._cli import main

if __name__ == "__main__":
    sys.exit(main())
