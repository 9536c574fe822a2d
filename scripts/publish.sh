#!/usr/bin/env bash
# The publish workflow's steps for this repository: the package's generator/publish.sh
# (which every knowledge base runs as `python -m generator publish STEP`), run from the
# repository root with the venv's Python.
#
#   scripts/publish.sh harvest [YYYY-MM-DD] | commit | push
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
export KB_ROOT="${KB_ROOT:-$root}" PY="${PY:-$root/.venv/bin/python}"
exec bash "$root/generator/publish.sh" "$@"
