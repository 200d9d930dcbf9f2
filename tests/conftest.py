"""Fixtures shared by the tests."""

import importlib.util
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture
def benchmark_script() -> Callable[[str], ModuleType]:
    """Loads a script of ``benchmarks/`` by its file stem, as a fresh module."""

    def load(stem: str) -> ModuleType:
        spec = importlib.util.spec_from_file_location(stem, BENCHMARKS / f"{stem}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    return load


def run_cli(capsys, *argv):
    """Run the command line in this process: exit status, stdout and stderr."""
    from mvgraph.cli import main

    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def load_or_skip(name: str):
    """The registry set ``name``, or a skip naming what is missing."""
    from mvgraph.data import load_dataset

    try:
        return load_dataset(name)
    except FileNotFoundError as missing:
        pytest.skip(f"benchmark data not found: {missing}")


def floor_accuracies(data, seeds=range(5)) -> list[float]:
    """ACC of the floor, k-means on the concatenation with ``scaler="auto"``, per seed."""
    from mvgraph.metrics import acc
    from mvgraph.models import ConcatKMeans

    return [acc(data.labels, ConcatKMeans(data.n_classes, random_state=seed).fit(data).labels_)
            for seed in seeds]
