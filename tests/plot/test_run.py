import json
import subprocess
import sys

import numpy as np
import pytest
from conftest import run_cli
from PIL import Image

from mvgraph.data import MultiViewData
from mvgraph.experiment import learned_view_values, run, write_run
from mvgraph.plot import plot_run

# pixel sizes of the pictures (100 dpi, the figure sizes of mvgraph.plot.run)
SIZES = {"training": (900, 600), "embedding": (1050, 480), "confusion": (650, 550),
         "cluster_sizes": (700, 350)}


def check_png(path, size=None):
    """The file decodes as a PNG of ``size`` pixels and is not blank."""
    with Image.open(path) as image:
        assert image.format == "PNG"
        if size is not None:
            assert image.size == size, path.name
        pixels = np.asarray(image.convert("L"), dtype=float)
    assert pixels.std() > 5, f"{path.name} looks blank"


BLOBS = dict(n_samples=240, n_views=2, n_clusters=3, dims=[10, 14], random_state=0)


@pytest.fixture(scope="module")
def rav_run(blobs, tmp_path_factory):
    result = run("rav", blobs, seed=0, params={"pretrain_epochs": 3, "epochs": 3,
                                              "batch_size": 80, "verbose": 0})
    return write_run(result, tmp_path_factory.mktemp("rav"))


def test_a_run_directory_gets_every_picture(rav_run):
    assert {"history.json", "views.json", "labels_true.npy"} <= {p.name for p in
                                                                 rav_run.iterdir()}
    paths = plot_run(rav_run)
    assert [p.name for p in paths] == ["training.png", "embedding.png", "confusion.png",
                                       "cluster_sizes.png", "views.png"]
    for path in paths:
        check_png(path, SIZES.get(path.stem))
    views = json.loads((rav_run / "views.json").read_text())
    assert set(views) == {"view_weights", "view_distances"}
    check_png(rav_run / "views.png", (900, 400))


def test_pictures_are_deterministic_and_named_the_same(rav_run):
    first = {p.name: p.read_bytes() for p in plot_run(rav_run)}
    second = {p.name: p.read_bytes() for p in plot_run(rav_run)}
    assert first == second
    assert not list(rav_run.glob(".*.tmp"))


def test_a_run_without_labels_plots_what_does_not_need_them(blobs, tmp_path):
    unlabelled = MultiViewData(blobs.views, labels=None, name="blobs")
    result = run("concat-kmeans", unlabelled, seed=0, n_clusters=3)
    out = write_run(result, tmp_path)
    assert not (out / "labels_true.npy").exists() and not (out / "history.json").exists()
    paths = plot_run(out, projection="tsne", max_points=100)
    assert [p.name for p in paths] == ["embedding.png", "cluster_sizes.png"]
    check_png(out / "embedding.png", (550, 480))
    check_png(out / "cluster_sizes.png", SIZES["cluster_sizes"])


def test_crrc_records_its_gates_and_attention(blobs):
    from mvgraph.models import CRRC

    model = CRRC(3, pretrain_epochs=1, epochs=2, batch_size=80, verbose=0,
                 random_state=0).fit(blobs)
    values = learned_view_values(model)
    assert set(values) == {"view_gates", "view_attention"}
    gates, attention = values["view_gates"], values["view_attention"]
    assert gates.shape == (2,) and np.all((gates > 0) & (gates < 1))
    # the mean over the samples of what the recalibration computes
    import torch

    from mvgraph.models.base import views_to_tensors

    views = views_to_tensors(model.scaler_.transform(blobs.views), torch.device("cpu"))
    with torch.no_grad():
        latents = model.model_.autoencoders.encode(views)
        parts = model.model_.recalibration.parts(
            model.model_.global_representation(latents),
            model.model_.view_representations(latents))
    np.testing.assert_allclose(gates, parts.gates.double().mean((0, 2)).numpy(), rtol=1e-5)
    np.testing.assert_allclose(attention, parts.weights.double().mean(0).numpy(), rtol=1e-5)
    np.testing.assert_allclose(attention, [[0, 1], [1, 0]])  # two views: the other one
    assert CRRC(3, recalibration="contrast-only", pretrain_epochs=1, epochs=1, verbose=0,
                random_state=0).fit(blobs).view_attention_ is None


def test_not_a_run_directory_is_refused_by_name(tmp_path):
    with pytest.raises(ValueError, match="run_dir must be a run directory written by "
                                         "mvgraph fit; '.*' has no metrics.json"):
        plot_run(tmp_path)


def test_fit_plot_and_plot_write_the_same_pictures(tmp_path, capsys):
    out = tmp_path / "run"
    code, stdout, _ = run_cli(capsys, "fit", "concat-kmeans", "--data",
                              "synthetic:n=300,views=2,clusters=3", "--out", str(out), "--plot")
    assert code == 0
    assert "pictures written to" in stdout and "embedding.png, confusion.png" in stdout
    drawn = {p.name: p.read_bytes() for p in out.glob("*.png")}
    assert set(drawn) == {"embedding.png", "confusion.png", "cluster_sizes.png"}
    for name in drawn:
        (out / name).unlink()
    assert run_cli(capsys, "plot", str(out))[0] == 0
    assert {p.name: p.read_bytes() for p in out.glob("*.png")} == drawn


@pytest.mark.parametrize(("arguments", "message"), [
    (["plot", "{tmp}"], "run_dir must be a run directory written by mvgraph fit"),
    (["plot", "{tmp}", "--projection", "umap"], "argument --projection: invalid choice"),
    (["plot", "{tmp}", "--max-points", "1"], "argument --max-points: expected an integer >= 2"),
    (["fit", "concat-kmeans", "--data", "synthetic:n=60", "--out", "{tmp}/run", "--plot",
      "--projection", "tsne", "--max-points", "30000"],
     "--max-points must be at most 20000 with --projection tsne; got 30000"),
])
def test_bad_plot_arguments_get_one_line(tmp_path, capsys, arguments, message):
    code, stdout, stderr = run_cli(capsys, *[a.replace("{tmp}", str(tmp_path))
                                             for a in arguments])
    assert code == 2 and stdout == ""
    assert stderr.startswith("mvgraph: error: ") and stderr.count("\n") == 1
    assert message in stderr
    assert not (tmp_path / "run").exists()


def test_the_library_core_never_imports_matplotlib():
    script = ("import sys, mvgraph, mvgraph.cli, mvgraph.experiment, mvgraph.benchmark, "
              "mvgraph.models, mvgraph.training; mvgraph.CRRC; "
              "assert 'matplotlib' not in sys.modules, 'matplotlib imported'")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    timed = subprocess.run([sys.executable, "-X", "importtime", "-c", "import mvgraph"],
                           capture_output=True, text=True)
    assert timed.returncode == 0 and "matplotlib" not in timed.stderr
