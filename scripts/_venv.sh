# Sourced by the scripts here: make (or reuse) .venv and install framepool into it.
#
# The install is editable in setuptools' strict mode: .venv sees the source through a tree
# of links (build/__editable__.*), which mypy follows like any installed package, so a
# downstream `mypy --strict` sees framepool as typed. Edits need no reinstall; a new or
# removed module does, so the install is redone when pyproject.toml, the chosen extras or
# the list of files under impl/ and spec/ changed since the last one. pip's output goes to
# .venv/install.log and is shown only when the install fails.
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
WANT="$( { cat pyproject.toml; echo "[$EXTRAS]"; find impl spec -type f ! -path '*/__pycache__/*' | LC_ALL=C sort; } \
  | sha256sum | cut -d' ' -f1)"
if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$WANT" ]; then
  echo "installing framepool[$EXTRAS] into .venv (log: .venv/install.log)"
  if ! { python -m pip install --upgrade pip \
         && python -m pip install -e ".[$EXTRAS]" --config-settings editable_mode=strict; } \
       >.venv/install.log 2>&1; then
    cat .venv/install.log >&2
    echo "error: installing framepool failed (log above, kept in .venv/install.log)" >&2
    exit 1
  fi
  echo "$WANT" > "$STAMP"
fi
