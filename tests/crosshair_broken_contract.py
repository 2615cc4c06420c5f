"""A deliberately wrong size computation with a PEP 316 contract CrossHair must refute.

Not a test module (pytest does not collect it): ``tests/test_proofs.py`` runs
``crosshair check`` on this file and expects a counterexample. The shrink rounds
*up*, so shrinking a small class (``current`` 1 to 4) does not shrink it.
"""

from __future__ import annotations

import math

SHRINK_FACTOR = 0.8


def shrunk_size(current: int, initial: int) -> int:
    """The size auto-tuning shrinks a class to -- but rounding the wrong way.

    pre: 0 <= initial < current <= 4096
    post: initial <= __return__ < current
    """
    return max(math.ceil(current * SHRINK_FACTOR), initial)
