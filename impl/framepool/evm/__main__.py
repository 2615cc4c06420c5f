"""``python -m framepool.evm statetest PATH...`` (the same as ``framepool statetest``)."""

from __future__ import annotations

import sys

from framepool.evm.runner import main

if __name__ == "__main__":
    sys.exit(main())
