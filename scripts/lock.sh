#!/usr/bin/env bash
# Writes the lock of this release, constraints/mlgate-VERSION.txt: every dependency of every
# extra pinned, resolved by uv for all platforms and Python >= 3.10 (--universal). `make install`
# installs the test environment with it, so the suite runs on exactly these versions; the action
# and the GitLab template install mlgate with it, so users run the gate that passed here.
# Re-running keeps the existing pins (uv reads them as preferences); `scripts/lock.sh --upgrade`
# moves every pin to the newest version pyproject.toml allows. Then run `make test`, and
# `scripts/lock.sh --embed` copies the lock into the GitLab template (tests check they agree).
set -euo pipefail
cd "$(dirname "$0")/.."
version="$(sed -n 's/^__version__ = "\(.*\)"$/\1/p' mlgate/__init__.py)"
lock="constraints/mlgate-$version.txt"
uv="${UV:-$(command -v uv || echo .venv/bin/uv)}"
if [ "${1:-}" != "--embed" ]; then
  work="$(mktemp)"
  trap 'rm -f "$work"' EXIT
  if [ -f "$lock" ]; then cp "$lock" "$work"; fi
  "$uv" pip compile pyproject.toml --all-extras --universal --python-version 3.10 \
    --no-header --no-annotate --quiet "$@" -o "$work"
  {
    echo "# mlgate $version: the lock of this release (constraints for pip/uv), written by scripts/lock.sh"
    echo "# from pyproject.toml with uv --universal (Python >= 3.10, every platform). Do not edit."
    grep -v '^#' "$work"
  } > "$lock"
  echo "lock: wrote $lock ($(grep -vc '^#' "$lock") pins)"
fi
# the GitLab template carries the lock inline (an include: has no other file to read)
if [ -f scripts/embed_lock.py ]; then "${PYTHON:-.venv/bin/python}" scripts/embed_lock.py "$lock"; fi
