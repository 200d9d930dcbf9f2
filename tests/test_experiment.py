import numpy as np
import pytest


def test_best_epoch_diagnostic_is_recorded_beside_the_final_metrics():
    from mvgraph.experiment import best_epoch_metrics

    history = [
        {"phase": "pretrain", "epoch": 0, "acc": 0.9},
        {"phase": "main", "epoch": 0, "acc": 0.5, "nmi": 0.7},
        {"phase": "main", "epoch": 1, "loss": 1.0},
        {"phase": "main", "epoch": 2, "acc": 0.6, "nmi": 0.4},
    ]
    assert best_epoch_metrics(history) == {"acc": 0.6, "nmi": 0.7}
    assert best_epoch_metrics(history[:2]) == {}
    assert best_epoch_metrics([]) == {}


def test_kmeans_average_is_the_mean_of_seeded_runs():
    from mvgraph.cluster import kmeans
    from mvgraph.experiment import kmeans_average
    from mvgraph.metrics import evaluate

    generator = np.random.default_rng(0)
    embedding = np.concatenate([generator.normal(c, 1.2, size=(40, 2)) for c in (0, 3, 6)])
    labels = np.repeat(np.arange(3), 40)
    average = kmeans_average(embedding, labels, 3, runs=4, n_init=1, random_state=7)
    seeds = np.random.default_rng(7).integers(0, 2**31 - 1, size=4)
    accs = [evaluate(labels, kmeans(embedding, 3, n_init=1, random_state=int(s)).labels)["acc"]
            for s in seeds]
    assert average["runs"] == 4 and average["acc"] == pytest.approx(np.mean(accs))
    with pytest.raises(ValueError, match="runs"):
        kmeans_average(embedding, labels, 3, runs=0)
