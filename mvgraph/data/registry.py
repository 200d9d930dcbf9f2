"""The registry of real benchmark sets: names, checksums, expected sizes and baselines.

``registry.json`` maps each name to its file, sha256, byte size, ``n``, number of
views, view dimensions, number of classes, a description and two k-means baselines
(mean ACC/NMI over seeds 0-2 of ``KMeans(k, n_init=10)`` on the concatenated views,
each view min-max scaled per feature, ``kmeans_minmax_concat``, or row-L2 normalised,
``kmeans_rowl2_concat``). Derived entries name a ``source`` set and the
``source_views`` they keep, in order.

Files are searched in the folders of :func:`data_home`; none is downloaded.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
from collections.abc import Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from mvgraph.data.container import MultiViewData
from mvgraph.data.matlab import load_mat

REGISTRY: dict[str, dict[str, Any]] = json.loads(
    resources.files("mvgraph.data").joinpath("registry.json").read_text()
)


def data_home() -> list[Path]:
    """The folders searched for benchmark files, in order.

    ``$MVGRAPH_DATA`` alone when it is set; otherwise ``shared/data`` beside the source
    checkout (when mvgraph runs from one, not from an installed copy), then
    ``~/.mvgraph/data``.
    """
    configured = os.environ.get("MVGRAPH_DATA")
    if configured:
        return [Path(configured).expanduser()]
    checkout = Path(__file__).resolve().parents[2]  # the folder holding the mvgraph package
    beside_checkout = [checkout.parent / "shared" / "data"] if (
        checkout / "pyproject.toml").is_file() else []
    return [*beside_checkout, Path.home() / ".mvgraph" / "data"]


def _entry(name: str) -> tuple[str, dict[str, Any]]:
    """The registry key (case-insensitive lookup) and its entry."""
    key = name.lower()
    if key not in REGISTRY:
        raise ValueError(f"unknown data set {name!r}; known: {', '.join(REGISTRY)}")
    return key, REGISTRY[key]


def _source(key: str) -> tuple[str, dict[str, Any]]:
    """The entry that owns the file: the entry itself, or a derived entry's source."""
    source = REGISTRY[key].get("source", key)
    return source, REGISTRY[source]


def _locate(file_name: str) -> Path | None:
    for folder in data_home():
        path = folder / file_name
        if path.is_file():
            return path
    return None


@cache
def _sha256(path: str, size: int, mtime_ns: int) -> str:
    """Hex sha256 of a file, memoised per (path, size, modification time)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _verify(path: Path, expected: str) -> None:
    status = path.stat()
    actual = _sha256(str(path.resolve()), status.st_size, status.st_mtime_ns)
    if actual != expected:
        raise ValueError(
            f"checksum mismatch for '{path}': sha256 {actual}, registry expects {expected}; "
            "the file is corrupt or a different version"
        )


def _check_against_registry(data: MultiViewData, key: str, entry: dict, path: Path) -> None:
    found = {"n": data.n_samples, "views": data.n_views, "dims": data.dims,
             "classes": data.n_classes}
    expected = {field: entry[field] for field in found}
    if found != expected:
        raise ValueError(f"'{path}' does not match registry entry {key!r}: "
                         f"expected {expected}; got {found}")


def load_dataset(
    name: str, *, views: Sequence[int] | None = None, verify: bool = True
) -> MultiViewData:
    """Load a registered benchmark set by name (case-insensitive).

    Parameters
    ----------
    name : str
        A name from :func:`list_datasets`, e.g. ``"handwritten"`` or ``"handwritten-3v"``.
    views : sequence of int, optional
        Keep these views, in this order (``[1, 2, 0]`` reorders).
    verify : bool
        Check the file's sha256 against the registry (memoised within the process).
        Sizes, dimensions and class counts are always checked.

    Raises
    ------
    ValueError
        Unknown name, checksum mismatch, or contents differing from the registry.
    FileNotFoundError
        The file is in none of the :func:`data_home` folders.
    """
    key, entry = _entry(name)
    source_key, source = _source(key)
    path = _locate(source["file"])
    if path is None:
        folders = ", ".join(f"'{folder}'" for folder in data_home())
        raise FileNotFoundError(
            f"benchmark file '{source['file']}' for {key!r} not found in {folders}; "
            "put it in one of these folders or set MVGRAPH_DATA to the folder holding it"
        )
    if verify:
        _verify(path, source["sha256"])
    data = load_mat(path, name=key)
    _check_against_registry(data, source_key, source, path)
    if "source_views" in entry:
        data = data.select_views(entry["source_views"])
    if views is not None:
        data = data.select_views(views)
    return data


def list_datasets() -> list[dict[str, Any]]:
    """One summary per registry entry: name, n, views, dims, classes, present, path."""
    rows = []
    for key, entry in REGISTRY.items():
        path = _locate(_source(key)[1]["file"])
        rows.append({
            "name": key,
            **{field: copy.copy(entry[field]) for field in ("n", "views", "dims", "classes")},
            "present": path is not None,
            "path": None if path is None else str(path),
        })
    return rows


def dataset_info(name: str) -> dict[str, Any]:
    """A copy of the registry entry of ``name``, with its ``name`` and baselines."""
    key, entry = _entry(name)
    return {"name": key, **copy.deepcopy(entry)}
