import json

import numpy as np
import pytest
import torch

from mvgraph.data import ViewScaler
from mvgraph.experiment import load_data
from mvgraph.metrics import acc, ari
from mvgraph.models import CONAN


@pytest.fixture
def saturation(benchmark_script):
    return benchmark_script("conan_saturation")


def test_rows_compare_each_epoch_count_with_the_previous(saturation, tmp_path):
    out = tmp_path / "saturation.json"
    report = saturation.main(["--datasets", "synthetic:n=150,views=2,clusters=3,dim=6",
                              "--seeds", "2", "--epochs", "1", "4", "--out", str(out)])
    rows = report["rows"]
    assert [(row["seed"], row["epochs"]) for row in rows] == [(0, 1), (0, 4), (1, 1), (1, 4)]
    assert [row["ari_previous"] is None for row in rows] == [True, False, True, False]
    assert json.loads(out.read_text())["rows"] == rows
    # the last row against fits made here: its ACC, its agreement with the 1-epoch labels
    # and the head's mean largest probability
    data = load_data("synthetic:n=150,views=2,clusters=3,dim=6")
    first, last = (CONAN(3, epochs=count, random_state=1).fit(data) for count in (1, 4))
    assert rows[-1]["acc"] == acc(data.labels, last.labels_)
    assert rows[-1]["ari_previous"] == ari(first.labels_, last.labels_)
    probabilities = last.model_.assign(torch.as_tensor(last.embedding_)).detach()
    assert rows[-1]["largest_probability"] == pytest.approx(
        float(probabilities.max(dim=1).values.mean()))
    assert report["environment"]["jobs"] == 1


def test_initial_embedding_probe_scores_the_untrained_network(benchmark_script, tmp_path):
    probe = benchmark_script("conan_initial_embedding")
    spec = "synthetic:n=150,views=2,clusters=3,dim=6"
    report = probe.main(["--datasets", spec, "--out", str(tmp_path / "probe.json")])
    (row,) = report["rows"]
    data = load_data(spec)
    scaled = ViewScaler("auto").fit(data.views).transform(data.views)
    assert row["scaler"] == "auto"
    assert row["scaled_views"] == probe.kmeans_acc(data.labels, np.hstack(scaled), 3, 0)
    torch.manual_seed(0)
    network = CONAN(3)._build([view.shape[1] for view in scaled]).eval()
    with torch.no_grad():
        representations, z = network.encode([torch.as_tensor(view) for view in scaled])
    assert row["z"] == probe.kmeans_acc(data.labels, z.numpy(), 3, 0)
    assert row["views"] == [probe.kmeans_acc(data.labels, h.numpy(), 3, 0)
                            for h in representations]
