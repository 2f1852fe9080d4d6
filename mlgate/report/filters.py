"""Number formatting and escaping filters shared by every rendering (jinja2 filters and Python)."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from typing import Any, TypeGuard

from mlgate.records import THRESHOLDS

MINUS = "\u2212"  # a real minus sign: "−0.031" reads better than "-0.031" and does not wrap
DASH = "\u2014"  # shown for a value that is absent

# C0/C1 controls (but tab and newline), DEL, and the bidi overrides that reorder text on screen
# ("Trojan Source"): text from data must never steer a terminal or hide what it says.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_SPACES = re.compile(r"\s+")
# numpy scalar reprs ("np.int64(386)", "numpy.float64(0.5)", "np.str_('a')"), e.g. in pytest's
# assertion messages of a custom check: shown as the value they hold
_NUMPY_REPR = re.compile(
    r"\b(?:np|numpy)\.(?:u?int\d*|float\d*|bool_?|complex\d*|str_|longdouble|intp)\(([^()]*)\)"
)
# Characters outside XML 1.0's Char production (would make junit.xml unparsable).
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


# --- text ----------------------------------------------------------------------------------------


def clean(value: Any, *, oneline: bool = True) -> str:
    """Text from data or users made inert for display: no control codes; one line by default."""
    text = "" if value is None else str(value)
    text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _NUMPY_REPR.sub(r"\1", text)
    return _SPACES.sub(" ", text).strip() if oneline else text


def clip(value: Any, limit: int = 300) -> str:
    """`clean` and shorten to at most `limit` characters, ending with "…" when cut."""
    text = clean(value)
    return text if len(text) <= limit else text[: max(limit - 1, 0)].rstrip() + "…"


def xml_text(value: Any) -> str:
    """Drop the characters XML 1.0 cannot carry (jinja2 autoescape then escapes the rest)."""
    return _NOT_XML.sub("", "" if value is None else str(value))


class Md(str):
    """Markdown we wrote ourselves: the Markdown environment prints it as is, never escaped."""

    __slots__ = ()


# Markdown punctuation that starts emphasis, code, links, tables or strikethrough anywhere in a
# line; `<`, `>` and `&` become entities, which also hold inside HTML blocks (<details>).
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]|~])")
# A `"` needs no entity in Markdown text nor in an HTML element's text: "&quot;" only showed raw.
_MD_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
# What only matters at the start of a line: headings, lists, quotes, setext underlines.
_MD_LINE_START = re.compile(r"^([#+=-])|^(\d+)([.)])")
# "@name" in a PR comment pings that person or team; a word joiner after "@" stops the link.
_MENTION = re.compile(r"@(?=\w)")
# "#12", "owner/repo#12", "GH-12" (GitHub) and "!12", "%12", "&12", "$12" (GitLab) link other
# issues and add "mentioned" events there; a word joiner after the sigil keeps them text.
_REFERENCE = re.compile(r"(#|!|%|&|\$|~|\bGH-)(?=\d)", re.IGNORECASE)
# Bare URLs in data would become clickable links (GFM autolinks): break them up.
_AUTOLINK = re.compile(r"(?<=\w):(?=//)|(?<=\bwww)\.", re.IGNORECASE)


def md(value: Any, limit: int = 300, *, line_start: bool = False) -> Md:
    """Escape text from data or users for Markdown (table cells included): it shows as text.

    `line_start`: the text begins a line, where `#`, `-`, `+`, `=` and `1.` mean structure.
    """
    if isinstance(value, Md):
        return value
    text = clip(value, limit)
    text = _REFERENCE.sub("\\1\u2060", text)
    text = "".join(_MD_ENTITIES.get(ch, ch) for ch in text)
    text = _MD_SPECIAL.sub(r"\\\1", text)
    if line_start:
        text = _MD_LINE_START.sub(lambda m: f"\\{m[1]}" if m[1] else f"{m[2]}\\{m[3]}", text)
    text = _AUTOLINK.sub(lambda m: "\\" + m.group(0), text)
    return Md(_MENTION.sub("@\u2060", text))


def md_finalize(value: Any) -> Any:
    """Markdown autoescape: every `{{ }}` output is escaped unless it is `Md` (ours)."""
    if value is None:
        return ""
    return value if isinstance(value, Md) else md(value)


def md_link(label: Any, url: Any) -> Md:
    """`[label](url)` for an http(s) URL; just the escaped label for anything else."""
    target = md_url(url)
    return Md(f"[{md(label)}]({target})") if target else md(label)


def md_url(url: Any) -> str | None:
    """An http(s) URL made safe as a Markdown/HTML link target, else None (never javascript:)."""
    text = clean(url)
    if not re.match(r"^https?://[^\s]+$", text, re.IGNORECASE):
        return None
    return "".join(_URL_QUOTE.get(ch, ch) for ch in text)


_URL_QUOTE = {
    "(": "%28",
    ")": "%29",
    "<": "%3C",
    ">": "%3E",
    '"': "%22",
    "'": "%27",
    "`": "%60",
    "|": "%7C",
    "[": "%5B",
    "]": "%5D",
    " ": "%20",
    "\\": "%5C",
}


def mapping(value: Any) -> Mapping[str, Any]:
    """`value` if it is a mapping, else an empty one (reports may lack or garble any key)."""
    return value if isinstance(value, Mapping) else {}


# --- numbers -------------------------------------------------------------------------------------


def is_number(value: Any) -> TypeGuard[float]:
    """A finite real number (bools are not numbers here)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _plain(x: float) -> str:
    """A number with about three significant figures, thousands separated, no exponent if sane."""
    if x == int(x) and abs(x) < 1e15:
        return f"{int(x):,}"
    size = abs(x)
    if size >= 1000:
        return f"{x:,.0f}"
    if size >= 100:
        return f"{x:.1f}"
    if size >= 1:
        return f"{x:.2f}"
    if size >= 0.01:
        return f"{x:.3f}"
    return f"{x:.2g}"


def num(value: Any, unit: str = "") -> str:
    """0.8712 -> "0.871"; 1000 -> "1,000"; -0.031 -> "−0.031"; with a unit: "12.3 ms"; None -> —."""
    if not is_number(value):
        return DASH if value is None or isinstance(value, (int, float)) else clip(value, 40)
    text = _plain(float(value)).replace("-", MINUS)
    return f"{text} {clip(unit, 12)}" if unit else text


def exact(value: Any, unit: str = "") -> str:
    """A number the user wrote (a threshold): shown as written, 0.85 -> "0.85", 5000 -> "5,000"."""
    if not is_number(value):
        return num(value, unit)
    x = float(value)
    text = f"{int(x):,}" if x == int(x) and abs(x) < 1e15 else f"{x:.6g}"
    text = text.replace("-", MINUS)
    return f"{text} {clip(unit, 12)}" if unit else text


def signed(value: Any, unit: str = "") -> str:
    """A change with its sign: "+0.012", "−0.031", "±0"."""
    if not is_number(value):
        return num(value, unit)
    if value == 0:
        return f"±0 {clip(unit, 12)}".rstrip()
    return ("+" if value > 0 else "") + num(value, unit)


def interval(ci: Any, unit: str = "") -> str:
    """A confidence interval: "−0.041…−0.022" (the unit once, at the end)."""
    if not isinstance(ci, (list, tuple)) or len(ci) != 2 or not all(is_number(v) for v in ci):
        return ""
    text = "…".join(signed(v) if v != 0 else "0" for v in ci)
    return f"{text} {clip(unit, 12)}" if unit else text


def pct(value: Any, digits: int = 1) -> str:
    """A fraction as a percentage: 0.0123 -> "1.2%"."""
    if not is_number(value):
        return DASH
    return f"{value * 100:.{digits}f}%".replace("-", MINUS)


def percent(value: Any, digits: int = 1) -> str:
    """A value already in percent (Great Expectations' unexpected_percent): 1.234 -> "1.2%"."""
    return pct(value / 100, digits) if is_number(value) else DASH


def count(value: Any) -> str:
    """A whole count with separators: 1000 -> "1,000"."""
    return f"{int(value):,}" if is_number(value) else DASH


def duration(seconds: Any) -> str:
    """3.24 -> "3.2 s"; 65 -> "1 min 5 s"."""
    if not is_number(seconds):
        return DASH
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s"


def confidence(alpha: Any) -> str:
    """alpha 0.05 -> "95% CI"."""
    level = 1 - alpha if is_number(alpha) and 0 < alpha < 1 else 0.95
    return f"{round(level * 100, 2):g}% CI"


# Threshold kinds, in the order people read them (the one table in mlgate.records).
THRESHOLD_LABELS = {key: t.label for key, t in THRESHOLDS.items()}


def tolerance_value(value: Any, baseline: Any = None) -> float | None:
    """A threshold as a number in the metric's units ("1%" of the production value resolved)."""
    if is_number(value):
        return float(value)
    if isinstance(value, str):
        text = value.strip()
        try:
            if text.endswith("%"):
                share = float(text[:-1]) / 100
                return abs(float(baseline)) * share if is_number(baseline) else None
            return float(text)
        except ValueError:
            return None
    return None


def threshold(thresholds: Any, unit: str = "", baseline: Any = None) -> str:
    """{"min": 0.85, "max_drop": "1%"} -> "≥ 0.85 · drop ≤ 1% (0.009)"."""
    if not isinstance(thresholds, Mapping) or not thresholds:
        return ""
    parts = []
    keys = [k for k in THRESHOLD_LABELS if k in thresholds]
    keys += [k for k in thresholds if k not in THRESHOLD_LABELS]
    for key in keys:
        value = thresholds[key]
        if is_number(value):
            shown = exact(value, unit)
        elif isinstance(value, str) and value.strip().endswith("%"):
            absolute = tolerance_value(value, baseline)
            shown = clip(value, 20) + (f" ({num(absolute, unit)})" if absolute is not None else "")
        else:
            shown = clip(value, 40)
        # the key may come from a forged report: concatenated, never a format string
        label = THRESHOLD_LABELS.get(key)
        if label is not None:
            parts.append(label.replace("{}", shown))
        else:
            parts.append(clip(key, 40).replace("_", " ") + " " + shown)
    return " · ".join(parts)


def join(values: Iterable[Any], limit: int = 8, each: int = 40) -> str:
    """A short, clipped list of values from data: "a, b, c and 4 more"."""
    items = list(values) if isinstance(values, (list, tuple)) else []
    shown = ", ".join("null" if v is None else clip(v, each) for v in items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


# --- OpenMetrics ---------------------------------------------------------------------------------


def metric_name(*parts: Any) -> str:
    """OpenMetrics-safe name: "model.accuracy[country=FR]" -> "model_accuracy_country_fr"."""
    text = "_".join(clean(p) for p in parts if p not in (None, ""))
    text = re.sub(r"[^a-zA-Z0-9_]+", "_", text).strip("_").lower()
    text = re.sub(r"_+", "_", text)
    return text if text and not text[0].isdigit() else f"_{text}"


def om_value(value: Any) -> str:
    """A finite number in OpenMetrics text (6 significant digits: stable across reruns)."""
    if isinstance(value, bool):
        return "1" if value else "0"
    return f"{float(value):.6g}"


def om_help(value: Any) -> str:
    """A HELP text: one line of plain ASCII (markup and quotes from data become "_")."""
    return re.sub(r"[^A-Za-z0-9 .,:;=()\[\]/+_-]", "_", clean(value))


FILTERS = {
    "num": num,
    "exact": exact,
    "signed": signed,
    "interval": interval,
    "pct": pct,
    "percent": percent,
    "count": count,
    "duration": duration,
    "confidence": confidence,
    "threshold": threshold,
    "clean": clean,
    "clip": clip,
    "join_values": join,
    "md": md,
    "md_link": md_link,
    "xml_text": xml_text,
    "metric_name": metric_name,
    "om_value": om_value,
    "om_help": om_help,
}
