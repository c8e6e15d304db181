#!/usr/bin/env bash
# The main job on the embedded default (local object store, SQLite, in-process work):
# generate three example packages and pre-screen each, printing the officer's summary.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${PRESCREEN_EXAMPLES:-var/examples}
if [ ! -f "$out/truth.json" ]; then
  .venv/bin/python -m synth --out "$out" --count 3 --seed 2026 --profile quick
fi
export PRESCREEN_HOME=${PRESCREEN_HOME:-$PWD/var/home}
for pkg in "$out"/P*; do
  echo "================================================================"
  .venv/bin/prescreen check "$pkg"
done
echo
.venv/bin/prescreen list
