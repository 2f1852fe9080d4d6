"""Reading tabular files (csv, parquet, jsonl) into pandas frames, with located errors."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

from mlgate.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

READERS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
}


def read_table(path: Path, *, where: str) -> pd.DataFrame:
    """Read a data file; `where` is the config location (`mlgate.yaml: data.eval`) for errors."""
    import pandas as pd

    suffixes = [s.lower() for s in path.suffixes]
    compressed = suffixes[-1] in (".gz", ".bz2", ".zst", ".xz") if suffixes else False
    suffix = (
        suffixes[-2] if compressed and len(suffixes) > 1 else (suffixes[-1] if suffixes else "")
    )
    kind = READERS.get(suffix)
    if kind is None:
        raise InputError(
            f"{where}: cannot read {path.name}: unsupported file type {suffix or '(none)'!r}",
            hint="use .csv, .parquet or .jsonl",
        )
    if not path.is_file():
        raise InputError(
            f"{where}: file not found: {path}", hint="paths are relative to the config file"
        )
    try:
        if kind == "csv":
            frame = pd.read_csv(path)
        elif kind == "tsv":
            frame = pd.read_csv(path, sep="\t")
        elif kind == "parquet":
            frame = pd.read_parquet(path)
        elif kind == "jsonl":
            frame = pd.read_json(path, lines=True)
        else:
            frame = pd.read_json(path)
    except Exception as exc:  # any parser error is the file's fault: exit 3, one line
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"{where}: cannot read {path}: {reason}") from None
    frame.columns = [str(c) for c in frame.columns]
    return frame


def fingerprint(frame: pd.DataFrame) -> str:
    """A stable content hash of a frame (column names, dtypes and values), for apples-to-apples."""
    import pandas as pd

    digest = hashlib.sha256()
    digest.update(repr([(str(c), str(t)) for c, t in frame.dtypes.items()]).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return "sha256:" + digest.hexdigest()[:32]
