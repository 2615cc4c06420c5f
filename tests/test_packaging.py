"""How framepool is installed: visible to mypy as a typed package (issue #9 item 6)."""

from __future__ import annotations

import site
from pathlib import Path


def _pth_directories() -> list[Path]:
    """The directories that .pth files in site-packages put on sys.path (what mypy reads)."""
    found = []
    for packages in site.getsitepackages():
        for pth in Path(packages).glob("*.pth"):
            for line in pth.read_text().splitlines():
                if line and not line.startswith(("#", "import ")) and Path(line).is_dir():
                    found.append(Path(line))
    return found


def test_mypy_can_see_the_installed_packages() -> None:
    # The default (lenient) editable install hides the packages behind an import hook, which
    # mypy does not run: import-not-found. The strict one links them into a directory.
    roots = [*_pth_directories(), *map(Path, site.getsitepackages())]  # editable, or not
    for package in ("framepool", "framepool_spec"):
        assert any((root / package / "py.typed").is_file() for root in roots), (package, roots)
