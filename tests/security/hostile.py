"""Hostile `.skops` files: a real fitted model with one extra attribute whose schema node runs
code when skops constructs it. Each payload would write `marker` (the tests assert it never
appears). Built by editing schema.json, as an attacker would; no mlgate code is involved.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

MODULE = "mlgate_pwn"  # a module a payload imports; it writes the marker when imported


def _s(text: str) -> dict[str, Any]:
    return {
        "__class__": "str",
        "__module__": "builtins",
        "__loader__": "JsonNode",
        "content": json.dumps(text),
        "is_json": True,
    }


def _empty_dict() -> dict[str, Any]:
    return {
        "__class__": "str",
        "__module__": "builtins",
        "__loader__": "JsonNode",
        "content": "{}",
        "is_json": True,
    }


def _seq(kind: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    loader = {"tuple": "TupleNode", "list": "ListNode"}[kind]
    return {"__class__": kind, "__module__": "builtins", "__loader__": loader, "content": items}


def _fn(module: str, name: str) -> dict[str, Any]:
    return {"__class__": name, "__module__": module, "__loader__": "FunctionNode"}


def _call(module: str, name: str, *args: dict[str, Any]) -> dict[str, Any]:
    """A reduce node: skops constructs it as `module.name(*args)`."""
    return {
        "__class__": name,
        "__module__": module,
        "__loader__": "ConstructorFromReduceNode",
        "content": _seq("tuple", list(args)),
    }


def _partial(func: dict[str, Any], *args: dict[str, Any]) -> dict[str, Any]:
    return {
        "__class__": "partial",
        "__module__": "functools",
        "__loader__": "PartialNode",
        "content": {
            "func": func,
            "args": _seq("tuple", list(args)),
            "kwds": _empty_dict(),
            "namespace": _empty_dict(),
        },
    }


def _methodcaller(*args: dict[str, Any]) -> dict[str, Any]:
    return {
        "__class__": "methodcaller",
        "__module__": "operator",
        "__loader__": "OperatorFuncNode",
        "attrs": _seq("tuple", list(args)),
    }


def payloads(marker: Path) -> dict[str, dict[str, Any]]:
    """name -> a schema node that writes `marker` when constructed."""
    code = f"open({str(marker)!r}, 'w').write('pwned')"
    shell = f"touch '{marker}'"
    exec_ = _fn("builtins", "exec")
    return {
        "builtins.eval": _call("builtins", "eval", _s(code)),
        "builtins.exec": _call("builtins", "exec", _s(code)),
        "builtins.open": _call("builtins", "open", _s(str(marker)), _s("w")),
        "builtins.__import__": _call("builtins", "__import__", _s(MODULE)),
        "builtins.list-map-exec": _call(
            "builtins", "list", _call("builtins", "map", exec_, _seq("list", [_s(code)]))
        ),
        "numpy.testing.runstring": _call(
            "numpy.testing._private.utils", "runstring", _s(code), _empty_dict()
        ),
        "sklearn.utils._testing.run_python": _call(
            "sklearn.utils._testing", "assert_run_python_script_without_output", _s(code)
        ),
        "functools.reduce-exec": _call(
            "functools", "reduce", exec_, _seq("list", [_s(code), _empty_dict()])
        ),
        "functools.partial-exec": _call(
            "builtins",
            "list",
            _call("builtins", "map", _partial(exec_, _s(code)), _seq("list", [_empty_dict()])),
        ),
        "operator.call-exec": _call("operator", "call", exec_, _s(code)),
        "operator.methodcaller-system": _call(
            "builtins",
            "list",
            _call(
                "builtins",
                "map",
                _methodcaller(_s("system"), _s(shell)),
                _seq("list", [_call("builtins", "__import__", _s("os"))]),
            ),
        ),
        "os.system": _call("os", "system", _s(shell)),
        "posix.system": _call("posix", "system", _s(shell)),
        "subprocess.check_call": _call(
            "subprocess", "check_call", _seq("list", [_s("touch"), _s(str(marker))])
        ),
        "subprocess.getoutput": _call("subprocess", "getoutput", _s(shell)),
        "importlib.import_module": _call("importlib", "import_module", _s(MODULE)),
    }


def write_pwn_module(folder: Path, marker: Path) -> None:
    """The module the import payloads load: importing it writes the marker."""
    (folder / f"{MODULE}.py").write_text(f"open({str(marker)!r}, 'w').write('pwned')\n")


def hostile(model_file: Path, payload: dict[str, Any], out: Path, key: str = "payload") -> Path:
    """`model_file` (a real skops dump) with `payload` as one more attribute of its root object."""
    with zipfile.ZipFile(model_file) as source:
        members = {name: source.read(name) for name in source.namelist()}
    schema = json.loads(members["schema.json"])
    attrs = schema["content"]  # the root object's attribute dict (a DictNode)
    attrs["content"][key] = payload
    str_type = {"__class__": "str", "__module__": "builtins", "__loader__": "TypeNode"}
    attrs["key_types"]["content"].append(str_type)  # one key type per key, in order
    members["schema.json"] = json.dumps(schema).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as target:
        for name, data in members.items():
            target.writestr(name, data)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(buffer.getvalue())
    return out
