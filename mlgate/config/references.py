"""Names in the config that must resolve to something: gate ids (waivers, policy.warn_only).

Pure: the gate kinds say which ids the config produces (`Ids`); this module matches each
reference against them with the decide stage's rules (exact id, `*` glob, a parent id covering
its slices) and writes the located line with a did-you-mean for the ones that match nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from mlgate.config.loading import LoadedConfig
from mlgate.support.text import close_matches


@dataclass
class Ids:
    """The gate ids a config produces: exact ids, and prefixes of ids known only from the data
    (the segments of a slice column, the tests a custom check collects)."""

    exact: list[str] = field(default_factory=list)
    prefixes: list[str] = field(default_factory=list)
    open_families: bool = False  # a plugin kind is configured: ids outside the known kinds pass

    def resolves(self, pattern: str) -> bool:
        glob = _glob(pattern)
        for gate_id in self.exact:
            if gate_id == pattern or gate_id.split("[", 1)[0] == pattern or glob.fullmatch(gate_id):
                return True
        for prefix in self.prefixes:
            # any id under the prefix may exist: `model.recall[region=north]`, `custom.test_x`
            if pattern.startswith(prefix) or glob.fullmatch(prefix + "\x00]"):
                return True
        if self.open_families:
            return pattern.split(".", 1)[0] not in {"model", "data", "perf"} | {
                p.split(".", 1)[0] for p in self.prefixes
            }
        return False


def _glob(pattern: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in pattern.split("*")), re.DOTALL)


def unresolved(loaded: LoadedConfig, ids: Ids) -> list[str]:
    """A located line for every waiver and warn_only entry that names no gate of this config."""
    config = loaded.config
    refs = [(f"policy.warn_only[{i}]", p) for i, p in enumerate(config.policy.warn_only)]
    refs += [(f"waivers[{i}].gate", w.gate) for i, w in enumerate(config.waivers)]
    out = []
    for key, pattern in refs:
        if ids.resolves(pattern):
            continue
        out.append(
            f'{loaded.where(key)}: "{pattern}" matches no gate of this config{_hint(pattern, ids)}'
        )
    return out


def _hint(pattern: str, ids: Ids) -> str:
    names = list(
        dict.fromkeys(
            [*ids.exact, *(p + "…]" if p.endswith("=") else p + "…" for p in ids.prefixes)]
        )
    )
    close = close_matches(pattern, names)
    if close:
        return f'; did you mean "{close[0]}"?'
    if not names:
        return ""
    shown = ", ".join(names[:6]) + (f" and {len(names) - 6} more" if len(names) > 6 else "")
    return f"; the gates are {shown}"
