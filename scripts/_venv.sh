# Sourced by the scripts here: make (or reuse) .venv and install framepool into it.
# The install is skipped when pyproject.toml and the chosen extras are unchanged since
# the last one (the install is editable, so source changes need no reinstall).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
# shellcheck disable=SC1091
. .venv/bin/activate
EXTRAS="${FRAMEPOOL_EXTRAS:-dev}"
STAMP=.venv/.framepool-installed
WANT="$(sha256sum pyproject.toml | cut -d' ' -f1) [$EXTRAS]"
if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$WANT" ]; then
  python -m pip install --quiet --upgrade pip >/dev/null
  python -m pip install --quiet -e ".[$EXTRAS]"
  echo "$WANT" > "$STAMP"
fi
