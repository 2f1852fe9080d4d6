"""Writes the GitLab template with the lock inline (MLGATE_LOCK), as templates/mlgate.yml and its
root copy .gitlab-ci-template.yml: an `include:` brings one file, so the lock travels in it.

Usage: python scripts/embed_lock.py constraints/mlgate-VERSION.txt (run by scripts/lock.sh).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMPONENT = ROOT / "templates" / "mlgate.yml"
ROOT_COPY = ROOT / ".gitlab-ci-template.yml"
BLOCK = re.compile(r"(?m)^    MLGATE_LOCK: \|\n(?:      .*\n)+")


def embedded(template: str, lock: str) -> str:
    pins = [line for line in lock.splitlines() if line and not line.startswith("#")]
    block = "    MLGATE_LOCK: |\n" + "".join(f"      {line}\n" for line in pins)
    if BLOCK.search(template):
        return BLOCK.sub(lambda _m: block, template, count=1)
    anchor = "    # Every `python` below runs isolated"
    return template.replace(anchor, block + anchor, 1)


def main() -> int:
    lock = Path(sys.argv[1]).read_text(encoding="utf-8")
    text = embedded(COMPONENT.read_text(encoding="utf-8"), lock)
    COMPONENT.write_text(text, encoding="utf-8")
    ROOT_COPY.write_text(text, encoding="utf-8")
    print(f"lock: embedded {sys.argv[1]} in {COMPONENT.name} and {ROOT_COPY.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
