"""The real mermaid-cli (`mmdc`, npm @mermaid-js/mermaid-cli) on Debian's Chromium.

`scripts/test-tools.sh` (run by `make test`) installs it into .tools/ with
PUPPETEER_SKIP_DOWNLOAD=1: Puppeteer drives /usr/bin/chromium (PUPPETEER_EXECUTABLE_PATH), no
browser is downloaded. Tests that need it skip, saying how to install it, when it is absent.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MMDC = Path(os.environ.get("MLGATE_MMDC", ROOT / ".tools" / "node_modules" / ".bin" / "mmdc"))
CHROMIUM = os.environ.get("MLGATE_CHROMIUM", "/usr/bin/chromium")
# as the browser test starts it: root needs --no-sandbox; the network is closed, so no calls home
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
FENCE = re.compile(r"^```mermaid\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def require() -> None:
    """Skip the calling test when mmdc or Chromium is missing (and say how to get them)."""
    if not MMDC.is_file():
        pytest.skip(
            "mermaid-cli is not installed: run `PUPPETEER_SKIP_DOWNLOAD=1 npm install --prefix "
            ".tools @mermaid-js/mermaid-cli@11.17` (scripts/test-tools.sh does)"
        )
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        pytest.skip(f"headless Chromium not found at {CHROMIUM} (apt-get install chromium)")


def blocks(markdown: str) -> list[str]:
    """The Mermaid sources of a Markdown text, as GitHub and GitLab find them (fenced)."""
    return FENCE.findall(markdown)


def render(markdown: str, folder: Path) -> list[str]:
    """Render every Mermaid block of `markdown` with mmdc: the SVG texts, in order.

    Fails the test with mmdc's own message when a block does not parse (mmdc exits non-zero).
    """
    require()
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "puppeteer.json"
    config.write_text(json.dumps({"executablePath": CHROMIUM, "args": ARGS}))
    source = folder / "in.md"
    source.write_text(markdown, encoding="utf-8")
    env = {**os.environ, "PUPPETEER_EXECUTABLE_PATH": CHROMIUM, "PUPPETEER_SKIP_DOWNLOAD": "1"}
    done = subprocess.run(
        [str(MMDC), "--quiet", "-p", str(config), "-i", str(source), "-o", str(folder / "out.md")],
        capture_output=True,
        text=True,
        env=env,
        timeout=240,
    )
    assert done.returncode == 0, f"mmdc failed to render:\n{done.stderr[-3000:]}"
    count = len(blocks(markdown))
    svgs = [folder / f"out-{i}.svg" for i in range(1, count + 1)]
    assert all(p.is_file() for p in svgs), sorted(p.name for p in folder.iterdir())
    assert not (folder / f"out-{count + 1}.svg").exists()
    return [p.read_text(encoding="utf-8") for p in svgs]
