"""Reading tabular files (csv, parquet, jsonl) into pandas frames, with located errors."""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

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


# --- header reads (validation: cheap, before anything heavy loads) ---------------------------


def _kind_of(path: Path) -> tuple[str | None, str | None]:
    """(reader kind, compression suffix) of a data file, from its name."""
    suffixes = [s.lower() for s in path.suffixes]
    compressed = suffixes[-1] if suffixes and suffixes[-1] in (".gz", ".bz2", ".xz") else None
    suffix = (
        suffixes[-2] if compressed and len(suffixes) > 1 else (suffixes[-1] if suffixes else "")
    )
    return READERS.get(suffix), compressed


def _open_text(path: Path, compressed: str | None) -> Any:
    if compressed == ".gz":
        import gzip

        return gzip.open(path, "rt", encoding="utf-8", newline="")
    if compressed == ".bz2":
        import bz2

        return bz2.open(path, "rt", encoding="utf-8", newline="")
    if compressed == ".xz":
        import lzma

        return lzma.open(path, "rt", encoding="utf-8", newline="")
    return path.open(encoding="utf-8", newline="")


def read_header(path: Path) -> list[str] | None:
    """The column names of a data file without reading its rows: the Parquet schema (pyarrow),
    the first line of a CSV, the keys of the first JSONL record. None when the file cannot be
    read this way (missing, unreadable, plain .json): the full read then says why (exit 3)."""
    return _header(str(path), _stamp(path))


def read_columns(path: Path, columns: list[str]) -> dict[str, list[Any]] | None:
    """The values of a few columns only (Parquet: just those columns; CSV: one streaming pass,
    values as text; JSONL: one pass). None when the file cannot be read this way."""
    kind, compressed = _kind_of(path)
    try:
        if kind == "parquet":
            import pyarrow.parquet as pq

            table = pq.read_table(path, columns=columns)
            return {name: table.column(name).to_pylist() for name in columns}
        if kind in ("csv", "tsv"):
            import csv

            with _open_text(path, compressed) as handle:
                reader = csv.reader(handle, delimiter="\t" if kind == "tsv" else ",")
                names = next(reader)
                where = [names.index(c) for c in columns]
                out: dict[str, list[Any]] = {c: [] for c in columns}
                for row in reader:
                    for name, at in zip(columns, where, strict=True):
                        out[name].append(row[at] if at < len(row) else "")
                return out
        if kind == "jsonl":
            import json

            out = {c: [] for c in columns}
            with _open_text(path, compressed) as handle:
                for line in handle:
                    if line.strip():
                        record = json.loads(line)
                        for name in columns:
                            out[name].append(record.get(name))
            return out
    except Exception:  # the full read reports the file's problem (exit 3)
        return None
    return None


def _stamp(path: Path) -> tuple[float, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return (stat.st_mtime, stat.st_size)


@functools.lru_cache(maxsize=16)
def _header(path_text: str, stamp: tuple[float, int] | None) -> list[str] | None:
    path = Path(path_text)
    if stamp is None:
        return None
    kind, compressed = _kind_of(path)
    try:
        if kind == "parquet":
            import pyarrow.parquet as pq

            return [str(name) for name in pq.read_schema(path).names]
        if kind in ("csv", "tsv"):
            import csv

            with _open_text(path, compressed) as handle:
                first = next(csv.reader(handle, delimiter="\t" if kind == "tsv" else ","), None)
            return [str(name) for name in first] if first else None
        if kind == "jsonl":
            import json

            with _open_text(path, compressed) as handle:
                for line in handle:
                    if line.strip():
                        record = json.loads(line)
                        return [str(k) for k in record] if isinstance(record, dict) else None
    except Exception:  # the full read reports the file's problem (exit 3)
        return None
    return None
