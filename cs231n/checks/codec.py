"""Plain data to and from files, without pickle.

What a probe returns crosses from a process that ran student code to one that
must not: it is written as JSON for the structure plus a NumPy ``.npz`` (loaded
with ``allow_pickle=False``) for the arrays, so reading it can never execute
code. Only ``None``, bools, numbers, strings, lists, tuples, dicts with string
keys and numeric or boolean arrays are allowed.
"""
from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

import numpy as np

MAX_BYTES = 256 * 2**20  # a file larger than this is refused unread
MAX_ITEMS = 100_000      # scalars, strings and containers in one value
MAX_DEPTH = 16


class CodecError(ValueError):
    """The data is not plain data, or the file is not one this module wrote."""


def encode(value) -> tuple[object, dict[str, np.ndarray]]:
    """Split ``value`` into a JSON-able structure and its arrays."""
    arrays: dict[str, np.ndarray] = {}
    count = [0]

    def enc(v, depth):
        count[0] += 1
        if count[0] > MAX_ITEMS or depth > MAX_DEPTH:
            raise CodecError("the value is too large or too deeply nested")
        if v is None or isinstance(v, (bool, str)):
            return v
        if isinstance(v, (int, float, np.integer, np.floating, np.bool_)):
            v = v.item() if isinstance(v, np.generic) else v
            return {"__float__": repr(v)} if isinstance(v, float) and not np.isfinite(v) else v
        if isinstance(v, np.ndarray):
            if v.dtype.kind not in "biuf":
                raise CodecError(f"arrays of dtype {v.dtype} are not plain data")
            key = f"a{len(arrays)}"
            arrays[key] = np.array(v, order="C")  # (ascontiguousarray would make a 0-d array 1-d)
            return {"__array__": key}
        if isinstance(v, (list, tuple)):
            return {"__list__": [enc(x, depth + 1) for x in v]}
        if isinstance(v, dict):
            if not all(isinstance(k, str) for k in v):
                raise CodecError("dict keys must be strings")
            return {"__dict__": {k: enc(x, depth + 1) for k, x in v.items()}}
        raise CodecError(f"a {type(v).__name__} is not plain data")

    return enc(value, 0), arrays


def decode(struct, arrays) -> object:
    """Inverse of :func:`encode`."""
    if struct is None or isinstance(struct, (bool, int, float, str)):
        return struct
    if isinstance(struct, dict) and len(struct) == 1:
        (tag, body), = struct.items()
        if tag == "__array__":
            return np.asarray(arrays[body])
        if tag == "__float__":
            return float(body)
        if tag == "__list__":
            return [decode(x, arrays) for x in body]
        if tag == "__dict__":
            return {k: decode(x, arrays) for k, x in body.items()}
    raise CodecError("malformed data file")


def save(path: Path, value) -> None:
    """Write ``value`` to ``path`` (an ``.npz``) atomically."""
    struct, arrays = encode(value)
    tmp = Path(str(path) + ".tmp")
    with open(tmp, "wb") as f:
        np.savez(f, __struct__=np.array(json.dumps(struct)), **arrays)
    os.replace(tmp, path)


def load(path: Path) -> object:
    """Read a value written by :func:`save`; raises CodecError on anything else."""
    path = Path(path)
    if path.stat().st_size > MAX_BYTES:
        raise CodecError(f"{path.name} is larger than {MAX_BYTES // 2**20} MB")
    try:
        with zipfile.ZipFile(path) as zf:  # a compressed member could expand without bound
            if sum(info.file_size for info in zf.infolist()) > MAX_BYTES:
                raise CodecError(f"{path.name} expands to more than {MAX_BYTES // 2**20} MB")
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files if k != "__struct__"}
            struct = json.loads(str(data["__struct__"]))
        if any(a.dtype.kind not in "biuf" for a in arrays.values()):
            raise CodecError(f"{path.name} holds arrays that are not numbers")
        return decode(struct, arrays)
    except CodecError:
        raise
    except Exception as err:  # written by untrusted code: any failure to read it is the file's fault
        raise CodecError(f"{path.name} is not a data file: {type(err).__name__}") from None
