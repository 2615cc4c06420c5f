"""``python -m framepool.evm statetest PATH...``: the ``framepool`` command, run as a module."""

from __future__ import annotations

import sys

from framepool.cli import main

if __name__ == "__main__":
    sys.exit(main())
