"""The jinja2 environments: every output escapes by default, each in its own language."""

from __future__ import annotations

import functools
from typing import Any

import jinja2

from mlgate.report import facts, view
from mlgate.report import filters as f


def _xml_finalize(value: Any) -> Any:
    return "" if value is None else f.xml_text(value)


def _none_finalize(value: Any) -> Any:
    return "" if value is None else value


# kind: (autoescape, finalize). HTML and XML: jinja2's own autoescape. Markdown: every value is
# passed through the Markdown escape unless it is `Md` (text we wrote), the same idea for a
# language jinja2 does not know. OpenMetrics text: names are sanitized by filters.
KINDS = {
    "html": (True, _none_finalize),
    "xml": (True, _xml_finalize),
    "md": (False, f.md_finalize),
    "text": (False, _none_finalize),
}


@functools.cache
def environment(kind: str) -> jinja2.Environment:
    """The environment for one output language, loading templates from mlgate/templates."""
    autoescape, finalize = KINDS[kind]
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("mlgate", "templates"),
        autoescape=autoescape,
        finalize=finalize,
        undefined=jinja2.StrictUndefined,  # a template typo is a bug, never an empty cell
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(f.FILTERS)
    env.globals.update(
        STATUS_ICON=view.STATUS_ICON,
        STATUS_WORD=view.STATUS_WORD,
        state=view.state,
        gate_facts=facts.gate_facts,
        check_lines=facts.check_lines,
        slice_of=view.slice_of,
        change_text=view.change_text,
        finding_text=view.finding_text,
        says_more=view.says_more,
    )
    return env


def render_template(kind: str, name: str, **context: Any) -> str:
    """Render `mlgate/templates/<name>` in the environment of `kind`."""
    return environment(kind).get_template(name).render(**context)
