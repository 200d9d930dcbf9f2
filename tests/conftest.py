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
