"""Every documented CI example pins mlgate to this release: the action, the template, pip."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import mlgate

ROOT = Path(__file__).resolve().parents[2]
VERSION = mlgate.__version__
V = re.escape(VERSION)
SHA = "[0-9a-f]{40}"
# (what, pattern capturing the pin, what the pin must be)
RULES = [
    ("action", r"uses:\s*[\w.-]+/mlgate@(\S+)", rf"v{V}|{SHA}|<sha>"),
    ("template URL", r"remote:\s*(\S*mlgate\S*)", rf"\S*/v{V}/\S+"),
    ("component", r"component:\s*\S*/mlgate@(\S+)", rf"{V}|\$CI_COMMIT_SHA"),
    ("template ref", r"^\s*ref:\s*(\S+)", rf"v{V}"),
    (
        "pip",
        r"(?:pip-spec:|pip install)[^\n]*?(?<![\w./-])[\"']?(mlgate(?:\[[\w,]+\])?\S*)",
        rf"mlgate(\[[\w,]+\])?=={V}[\"']?",
    ),
]


def unpinned(text: str) -> list[str]:
    found = []
    for what, pattern, pin in RULES:
        for match in re.finditer(pattern, text, re.M):
            if not re.fullmatch(pin, match.group(1)):
                found.append(f"{what}: {match.group(1)}")
    return found


def documented() -> list[Path]:
    files = [
        *sorted((ROOT / "examples").rglob("*.yml")),
        *sorted((ROOT / "mlgate" / "scaffold").glob("*.yml")),
    ]
    return [*files, ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def examples(path: Path) -> str:
    """A YAML example whole; of a Markdown page, its fenced code blocks."""
    text = path.read_text()
    if path.suffix == ".md":
        return "\n".join(re.findall(r"(?ms)^```[a-z]*\n(.*?)^```", text))
    return text


@pytest.mark.parametrize("path", documented(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_example_pins_this_release(path: Path) -> None:
    text = examples(path)
    assert unpinned(text) == []
    if path.suffix == ".yml":  # each example installs or uses mlgate somewhere
        assert any(re.search(pattern, text, re.M) for _what, pattern, _pin in RULES), path


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("uses: mlgate/mlgate@v0", "action: v0"),
        ("uses: acme/mlgate@main", "action: main"),
        (
            "- remote: https://raw.githubusercontent.com/mlgate/mlgate/main/.gitlab-ci-template.yml",
            "template URL: https://raw.githubusercontent.com/mlgate/mlgate/main/.gitlab-ci-template.yml",
        ),
        ("- component: $CI_SERVER_FQDN/tools/mlgate/mlgate@~latest", "component: ~latest"),
        ("    ref: main", "template ref: main"),
        ("pip-spec: mlgate[all] -r requirements.txt", "pip: mlgate[all]"),
        ('- run: pip install -r requirements.txt "mlgate[all]"', 'pip: mlgate[all]"'),
        ("pip install mlgate>=0.1", "pip: mlgate>=0.1"),
    ],
)
def test_an_unpinned_example_is_found(line: str, problem: str) -> None:
    assert unpinned(line) == [problem]


def test_a_pinned_line_passes() -> None:
    lines = [
        f"uses: mlgate/mlgate@v{VERSION} # zizmor: ignore[unpinned-uses]",
        f"uses: acme/mlgate@{'a' * 40} # v{VERSION}",
        f"pip-spec: mlgate[all]=={VERSION} -r requirements.txt",
        f"- component: $CI_SERVER_FQDN/tools/mlgate/mlgate@{VERSION}",
        "cp mlgate.yaml x && pip install -r requirements.txt",
    ]
    assert unpinned("\n".join(lines)) == []
