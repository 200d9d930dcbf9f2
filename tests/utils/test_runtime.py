"""Devices, seeds, the global generators' state and deterministic runs."""

import io
import os
import random

import faiss
import numpy as np
import pytest
import torch

from mvgraph.utils.runtime import (
    deterministic_mode,
    global_rng_state,
    resolve_device,
    seed_everything,
    set_global_rng_state,
)


@pytest.fixture(autouse=True)
def keep_global_generators():
    """The tests reseed the global generators; the ones after them find them as they were."""
    state = global_rng_state()
    yield
    set_global_rng_state(state)


def draws():
    return random.random(), float(np.random.rand()), float(torch.rand(()))


def test_the_same_seed_gives_the_same_draws_in_python_numpy_and_torch():
    assert seed_everything(7) == 7
    first = draws()
    seed_everything(7)
    assert draws() == first
    seed_everything(8)
    assert all(a != b for a, b in zip(draws(), first))


def test_the_seed_seeds_each_generator_as_its_own_seed_function_would():
    seed_everything(123)
    expected_python = random.Random(123).random()
    expected_numpy = np.random.RandomState(123).rand()
    expected_torch = float(torch.rand((), generator=torch.Generator().manual_seed(123)))
    assert draws() == (expected_python, expected_numpy, expected_torch)


def test_numpy_integer_seeds_are_returned_as_int():
    seed = seed_everything(np.int64(5))
    assert seed == 5 and type(seed) is int


def test_seeds_beyond_numpys_range_are_accepted():
    big = 2**32 + 5
    assert seed_everything(big) == big
    first = draws()
    seed_everything(big)
    assert draws() == first


def test_none_draws_a_seed_that_reproduces_the_run():
    seed = seed_everything(None)
    assert type(seed) is int and 0 <= seed <= 0x7FFFFFFF
    first = draws()
    assert seed_everything(seed) == seed
    assert draws() == first


@pytest.mark.parametrize("seed", [-1, -(2**40), 1.5, 3.0, "3", [1]])
def test_negative_and_non_integer_seeds_are_refused(seed):
    with pytest.raises(ValueError) as raised:
        seed_everything(seed)
    assert str(raised.value) == f"random_state must be a non-negative integer or None; got {seed!r}"


def test_global_state_round_trips_through_a_weights_only_load():
    seed_everything(11)
    draws()
    buffer = io.BytesIO()
    torch.save(global_rng_state(), buffer)
    expected = draws()
    seed_everything(99)
    buffer.seek(0)
    set_global_rng_state(torch.load(buffer, weights_only=True))
    assert draws() == expected


def test_resolve_device():
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device(torch.device("cpu")) == torch.device("cpu")
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert resolve_device() == torch.device(expected) == resolve_device("auto")


@pytest.mark.parametrize("device", ["gpu", "auto:0", ""])
def test_an_unknown_device_is_refused(device):
    with pytest.raises(ValueError) as raised:
        resolve_device(device)
    assert str(raised.value) == f"device must be 'auto', 'cpu' or 'cuda[:i]'; got {device!r}"


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is available here")
def test_cuda_without_cuda_is_refused():
    with pytest.raises(ValueError, match=r"^device='cuda:0' was requested but CUDA is not "):
        resolve_device("cuda:0")


@pytest.fixture
def two_threads():
    """torch and faiss set to two threads, and put back as they were afterwards."""
    torch_threads, faiss_threads = torch.get_num_threads(), faiss.omp_get_max_threads()
    torch.set_num_threads(2)
    faiss.omp_set_num_threads(2)
    yield
    torch.set_num_threads(torch_threads)
    faiss.omp_set_num_threads(faiss_threads)


def test_deterministic_mode_sets_one_thread_and_deterministic_kernels_then_restores(
        two_threads, monkeypatch):
    monkeypatch.delenv("CUBLAS_WORKSPACE_CONFIG", raising=False)
    assert not torch.are_deterministic_algorithms_enabled()
    with deterministic_mode():
        assert torch.get_num_threads() == 1 and faiss.omp_get_max_threads() == 1
        assert torch.are_deterministic_algorithms_enabled()
        assert os.environ["CUBLAS_WORKSPACE_CONFIG"] == ":4096:8"
    assert torch.get_num_threads() == 2 and faiss.omp_get_max_threads() == 2
    assert not torch.are_deterministic_algorithms_enabled()


def test_deterministic_mode_keeps_a_cublas_setting_made_before(monkeypatch):
    monkeypatch.setenv("CUBLAS_WORKSPACE_CONFIG", ":16:8")
    with deterministic_mode():
        assert os.environ["CUBLAS_WORKSPACE_CONFIG"] == ":16:8"


def test_deterministic_mode_restores_after_an_error_and_when_nested(two_threads):
    with pytest.raises(RuntimeError, match="inside"), deterministic_mode():
        raise RuntimeError("inside")
    assert torch.get_num_threads() == 2 and not torch.are_deterministic_algorithms_enabled()
    with deterministic_mode():
        with deterministic_mode():
            pass
        # the inner block restores what the outer one set
        assert torch.get_num_threads() == 1 and torch.are_deterministic_algorithms_enabled()
    assert torch.get_num_threads() == 2 and not torch.are_deterministic_algorithms_enabled()


def test_deterministic_mode_disabled_changes_nothing(two_threads):
    with deterministic_mode(False):
        assert torch.get_num_threads() == 2 and faiss.omp_get_max_threads() == 2
        assert not torch.are_deterministic_algorithms_enabled()
