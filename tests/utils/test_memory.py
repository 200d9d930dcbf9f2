"""The memory guard: sizes, estimates, and fits refused before any work."""

import pytest

import mvgraph
from mvgraph.cli import main
from mvgraph.models import DMAC, ConcatKMeans
from mvgraph.models.dmac import LARGE_SCALE
from mvgraph.training import Trainer
from mvgraph.utils import InsufficientMemoryError, memory_limit
from mvgraph.utils import memory as memory_module
from mvgraph.utils.memory import check_memory, format_memory, parse_memory


@pytest.mark.parametrize("text, size", [
    ("1GB", 10**9), ("512MiB", 512 * 2**20), ("2G", 2 * 2**30), (" 1.5 kb ", 1500),
    ("4096", 4096), (4096, 4096),
])
def test_parse_memory(text, size):
    assert parse_memory(text) == size


@pytest.mark.parametrize("text", ["", "GB", "-1GB", "0", "1 parsec", "1e3GB", True])
def test_parse_memory_refuses_what_is_no_size(text):
    with pytest.raises(ValueError, match="a memory size must be a positive number"):
        parse_memory(text)


def test_format_memory():
    assert [format_memory(size) for size in (512, 2048, 3 * 2**20, 1.5 * 2**30)] == [
        "512 B", "2.0 KiB", "3.0 MiB", "1.5 GiB"]


def test_estimate_has_the_method_parts_and_grows_with_the_batch():
    full = DMAC(n_clusters=20).estimate_memory(100_000, [64, 64, 64])
    assert set(full) == {"data", "activations", "embedding forward", "embedding", "runtime",
                         "imputation donors", "anchor terms"}
    assert full["imputation donors"] == 4 * 20_000 * 192
    assert full["data"] == 4 * 100_000 * 192
    batched = DMAC(n_clusters=20, **LARGE_SCALE).estimate_memory(100_000, [64, 64, 64])
    assert batched["activations"] < full["activations"] / 5
    assert set(ConcatKMeans(3).estimate_memory(10, [2, 3])) == {
        "data", "concatenation", "k-means", "runtime"}


def test_check_names_the_estimate_the_bound_and_the_setting(monkeypatch):
    monkeypatch.setattr(memory_module, "available_memory", lambda: 3 * 2**30)
    check_memory({"data": 2**30, "activations": 2**30}, "X", {})
    with memory_limit("1GiB"), pytest.raises(
        InsufficientMemoryError,
        match=r"^X needs about 2\.0 GiB at its peak, more than the 1\.0 GiB allowed by the "
              r"memory limit; the largest part is activations \(1\.5 GiB\), which a smaller "
              r"batch_size lowers$"):
        check_memory({"data": 2**29, "activations": 3 * 2**29}, "X",
                     {"activations": "a smaller batch_size"})
    with pytest.raises(InsufficientMemoryError, match=r"more than the 3\.0 GiB available"):
        check_memory({"data": 4 * 2**30}, "X", {})


def test_fit_beyond_the_available_memory_is_refused_before_training(monkeypatch):
    monkeypatch.setattr(memory_module, "available_memory", lambda: 2**20)
    monkeypatch.setattr(Trainer, "fit", lambda *args, **kwargs: pytest.fail("trained"))
    blobs = mvgraph.make_multiview_blobs(n_samples=200, n_views=2, n_clusters=3, dims=4,
                                         random_state=0)
    with pytest.raises(InsufficientMemoryError, match="^DMAC on 200 samples needs about"):
        DMAC(n_clusters=3).fit(blobs)


def test_max_memory_refuses_a_million_sample_dmac_fit_before_training(monkeypatch, tmp_path,
                                                                        capsys):
    monkeypatch.setattr(Trainer, "fit", lambda *args, **kwargs: pytest.fail("trained"))
    status = main(["fit", "dmac", "--data", "synthetic:n=1000000,views=3,clusters=20",
                   "--max-memory", "1GB", "--out", str(tmp_path), "--quiet"])
    assert status == 2
    error = capsys.readouterr().err
    assert error.startswith("mvgraph: error: DMAC on 1000000 samples needs about ")
    assert "more than the 953.7 MiB allowed by the memory limit" in error
    assert list(tmp_path.iterdir()) == []
    assert main(["fit", "dmac", "--data", "synthetic:n=100", "--max-memory", "lots"]) == 2
    assert "argument --max-memory: a memory size must be" in capsys.readouterr().err
