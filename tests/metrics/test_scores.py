import itertools
import math

import numpy as np
import pytest
import torch
from scipy.optimize import linear_sum_assignment
from sklearn import metrics as sk
from sklearn.metrics.cluster import contingency_matrix as sk_contingency

from mvgraph.metrics import (
    acc,
    ari,
    contingency_matrix,
    evaluate,
    f1_macro,
    fscore_b3,
    fscore_pairwise,
    nmi,
    purity,
)

AVERAGE_METHODS = ("arithmetic", "geometric", "min", "max")
ALL_SCORES = (acc, nmi, ari, purity, fscore_b3, f1_macro, fscore_pairwise)


def random_cases(count, seed, max_n=60):
    """Label pairs with k_true ≠ k_pred in general, negative and non-contiguous ids."""
    rng = np.random.default_rng(seed)
    for _ in range(count):
        n = int(rng.integers(1, max_n))
        y_true = rng.integers(0, int(rng.integers(1, 6)), n) * 3 - 2
        y_pred = rng.integers(0, int(rng.integers(1, 8)), n) * 7 + 1
        yield y_true, y_pred


def brute_acc(y_true, y_pred):
    """Best agreement over every injective map between clusters and classes."""
    classes, clusters = list(np.unique(y_true)), list(np.unique(y_pred))
    best = 0
    if len(clusters) <= len(classes):
        for image in itertools.permutations(classes, len(clusters)):
            mapping = dict(zip(clusters, image, strict=True))
            best = max(best, sum(mapping[p] == t for t, p in zip(y_true, y_pred, strict=True)))
    else:
        for chosen in itertools.permutations(clusters, len(classes)):
            mapping = dict(zip(chosen, classes, strict=True))
            best = max(best, sum(mapping.get(p) == t for t, p in zip(y_true, y_pred, strict=True)))
    return best / len(y_true)


def brute_b3(y_true, y_pred):
    """Per-sample B-cubed precision and recall."""
    precision = recall = 0.0
    for t, p in zip(y_true, y_pred, strict=True):
        both = np.sum((y_true == t) & (y_pred == p))
        precision += both / np.sum(y_pred == p)
        recall += both / np.sum(y_true == t)
    precision, recall = precision / len(y_true), recall / len(y_true)
    return 2 * precision * recall / (precision + recall)


def brute_pairwise(y_true, y_pred):
    """Pair F-measure from a loop over all pairs; vacuous precision/recall count as 1."""
    tp = fp = fn = 0
    for i, j in itertools.combinations(range(len(y_true)), 2):
        same_class, same_cluster = y_true[i] == y_true[j], y_pred[i] == y_pred[j]
        tp += same_class and same_cluster
        fp += same_cluster and not same_class
        fn += same_class and not same_cluster
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)


def hungarian_mapped(y_true, y_pred):
    """Predictions relabelled by a Hungarian matching on sample-by-sample counts;
    unmatched clusters get fresh labels that are no class."""
    classes, clusters = np.unique(y_true), np.unique(y_pred)
    counts = np.array([[np.sum((y_true == c) & (y_pred == k)) for k in clusters] for c in classes])
    rows, cols = linear_sum_assignment(-counts)
    mapping = {clusters[c]: classes[r] for r, c in zip(rows, cols, strict=True)}
    fresh = itertools.count(int(max(classes.max(), clusters.max())) + 1)
    mapping.update({k: next(fresh) for k in clusters if k not in mapping})
    return np.array([mapping[k] for k in y_pred])


def test_matches_scikit_learn_on_random_labels():
    for y_true, y_pred in random_cases(100, seed=0):
        for method in AVERAGE_METHODS:
            expected = sk.normalized_mutual_info_score(y_true, y_pred, average_method=method)
            assert nmi(y_true, y_pred, method) == pytest.approx(expected, abs=1e-10)
        assert ari(y_true, y_pred) == pytest.approx(
            sk.adjusted_rand_score(y_true, y_pred), abs=1e-12
        )
        expected_f1 = sk.f1_score(
            y_true, hungarian_mapped(y_true, y_pred), average="macro", zero_division=0
        )
        assert f1_macro(y_true, y_pred) == pytest.approx(expected_f1, abs=1e-12)
        np.testing.assert_array_equal(
            contingency_matrix(y_true, y_pred), sk_contingency(y_true, y_pred)
        )


def test_matches_brute_force_on_random_labels():
    for y_true, y_pred in random_cases(60, seed=1, max_n=30):
        if len(np.unique(y_true)) <= 4 and len(np.unique(y_pred)) <= 4:
            assert acc(y_true, y_pred) == pytest.approx(brute_acc(y_true, y_pred))
        assert fscore_b3(y_true, y_pred) == pytest.approx(brute_b3(y_true, y_pred))
        assert fscore_pairwise(y_true, y_pred) == pytest.approx(brute_pairwise(y_true, y_pred))


def test_hand_worked_case():
    y_true = [0, 0, 0, 1, 1, 1]
    y_pred = [0, 0, 1, 1, 2, 2]
    # n = 6, classes a = (3, 3), clusters b = (2, 2, 2)
    table = contingency_matrix(y_true, y_pred)
    np.testing.assert_array_equal(table, [[2, 1, 0], [0, 1, 2]])
    assert table.dtype == np.int64
    # best map: cluster 0 → class 0, cluster 2 → class 1: (2 + 2) / 6
    assert acc(y_true, y_pred) == pytest.approx(4 / 6)
    # cluster majorities 2 + 1 + 2
    assert purity(y_true, y_pred) == pytest.approx(5 / 6)
    # I = 2 · (2/6) log(6·2 / (3·2)) + 2 · (1/6) log(6·1 / (3·2)) = (2/3) log 2
    # H(Y) = log 2, H(C) = log 3
    mutual, h_true, h_pred = 2 / 3 * math.log(2), math.log(2), math.log(3)
    assert nmi(y_true, y_pred) == pytest.approx(mutual / ((h_true + h_pred) / 2))
    assert nmi(y_true, y_pred, "geometric") == pytest.approx(mutual / math.sqrt(h_true * h_pred))
    assert nmi(y_true, y_pred, "min") == pytest.approx(2 / 3)
    assert nmi(y_true, y_pred, "max") == pytest.approx(mutual / h_pred)
    # pairs: TP = C(2,2) + C(2,2) = 2, same cluster 1 + 1 + 1 = 3, same class 3 + 3 = 6,
    # all 15. Expected index 6·3/15 = 1.2, max index (6 + 3)/2 = 4.5:
    # ARI = (2 − 1.2) / (4.5 − 1.2) = 8/33
    assert ari(y_true, y_pred) == pytest.approx(8 / 33)
    # pairwise P = 2/3, R = 2/6 → F = 2·(2/3)(1/3) / (2/3 + 1/3) = 4/9
    assert fscore_pairwise(y_true, y_pred) == pytest.approx(4 / 9)
    # B-cubed: Σ n_ij²/b_j = 4/2 + 1/2 + 1/2 + 4/2 = 5 → P = 5/6;
    # Σ n_ij²/a_i = (4 + 1)/3 + (1 + 4)/3 = 10/3 → R = 5/9; F = 2·(5/6)(5/9) / (25/18) = 2/3
    assert fscore_b3(y_true, y_pred) == pytest.approx(2 / 3)
    # labels {0, 1, fresh}: F1(0) = 2·2/(3+2) = 0.8, F1(1) = 0.8, F1(fresh) = 0
    assert f1_macro(y_true, y_pred) == pytest.approx(1.6 / 3)


@pytest.mark.parametrize(
    "y_true, y_pred",
    [
        ([4, 4, 4], [2, 2, 2]),  # both constant
        ([4, 4, 4], [0, 1, 2]),  # one constant
        ([0, 1, 2], [5, 5, 5]),
        ([0, 1, 2], [3, 4, 5]),  # both all singletons
        ([7], [3]),  # a single sample
        ([0, 0, 1, 1], [0, 1, 0, 1]),  # independent labellings
    ],
)
def test_degenerate_cases_match_scikit_learn(y_true, y_pred):
    for method in AVERAGE_METHODS:
        expected = sk.normalized_mutual_info_score(y_true, y_pred, average_method=method)
        assert nmi(y_true, y_pred, method) == expected
    assert ari(y_true, y_pred) == sk.adjusted_rand_score(y_true, y_pred)
    expected_f1 = sk.f1_score(
        y_true,
        hungarian_mapped(np.array(y_true), np.array(y_pred)),
        average="macro",
        zero_division=0,
    )
    assert f1_macro(y_true, y_pred) == pytest.approx(expected_f1)


def test_pairwise_fscore_conventions():
    # no same-cluster pair: P = 1 (vacuous), R = 0
    assert fscore_pairwise([0, 0, 1], [0, 1, 2]) == 0.0
    # no same-class pair: P = 0, R = 1 (vacuous)
    assert fscore_pairwise([0, 1, 2], [0, 0, 1]) == 0.0
    # neither labelling joins any pair: a perfect match
    assert fscore_pairwise([0, 1, 2], [5, 3, 4]) == 1.0
    assert fscore_pairwise([3], [3]) == 1.0
    # pairs on both sides but none shared: P = R = 0
    assert fscore_pairwise([0, 0, 1, 1], [0, 1, 0, 1]) == 0.0


def test_relabelling_clusters_changes_nothing():
    rng = np.random.default_rng(3)
    y_true, y_pred = rng.integers(0, 4, 200), rng.integers(0, 5, 200)
    renamed = np.array([10, 3, -1, 7, 2])[y_pred]
    assert evaluate(y_true, renamed) == pytest.approx(evaluate(y_true, y_pred))


def test_perfect_clustering_scores_one():
    y_true = np.random.default_rng(4).integers(0, 5, 100)
    renamed = np.array([8, -3, 0, 11, 5])[y_true]
    assert all(score(y_true, renamed) == pytest.approx(1.0) for score in ALL_SCORES)


def test_evaluate_gathers_every_score_as_float():
    rng = np.random.default_rng(5)
    y_true, y_pred = rng.integers(0, 3, 50), rng.integers(0, 4, 50)
    scores = evaluate(y_true, y_pred)
    functions = {
        "acc": acc,
        "nmi": nmi,
        "purity": purity,
        "ari": ari,
        "fscore": fscore_b3,
        "f1_macro": f1_macro,
        "fscore_pairwise": fscore_pairwise,
    }
    assert list(scores) == list(functions)
    assert scores == {key: score(y_true, y_pred) for key, score in functions.items()}
    assert all(type(value) is float for value in scores.values())
    assert all(0.0 <= value <= 1.0 for key, value in scores.items() if key != "ari")


def test_accepts_lists_tensors_and_column_vectors():
    rng = np.random.default_rng(6)
    y_true, y_pred = rng.integers(0, 4, 60), rng.integers(0, 5, 60)
    expected = evaluate(y_true, y_pred)
    assert evaluate(y_true.tolist(), y_pred.tolist()) == expected
    assert evaluate(torch.from_numpy(y_true), torch.from_numpy(y_pred)) == expected
    assert evaluate(torch.from_numpy(y_true).float(), y_pred.astype(np.float64)) == expected
    assert evaluate(y_true.reshape(-1, 1), y_pred.reshape(1, -1)) == expected


@pytest.mark.parametrize(
    "y_true, y_pred, match",
    [
        ([0, 1, 1], [0, 1], r"y_true and y_pred must have the same length; got 3 and 2"),
        ([], [], r"y_true must hold at least one label"),
        ([0, 1], np.zeros((1, 0)), r"y_pred must hold at least one label"),
        ([0, np.nan], [0, 1], r"y_true must hold finite integer labels; got nan"),
        ([0, 1], [0, np.inf], r"y_pred must hold finite integer labels; got inf"),
        ([0, 1], [0.5, 1], r"y_pred must hold integer labels; got the non-integral value 0.5"),
        (["a", "b"], [0, 1], r"y_true must hold integer labels; got dtype <U1"),
        (np.zeros((2, 2)), [0, 1], r"y_true must be a 1-d array .*got shape \(2, 2\)"),
        ([0, 1], 3, r"y_pred must be a 1-d array .*got shape \(\)"),
    ],
)
def test_invalid_labels_raise(y_true, y_pred, match):
    for score in (*ALL_SCORES, contingency_matrix, evaluate):
        with pytest.raises(ValueError, match=match):
            score(y_true, y_pred)


def test_invalid_average_method_raises():
    with pytest.raises(ValueError, match=r"average_method must be one of .*got 'mean'"):
        nmi([0, 1], [0, 1], average_method="mean")


def test_matched_contingency_matrix_puts_the_hungarian_match_on_the_diagonal():
    from mvgraph.metrics import matched_contingency_matrix

    rng = np.random.default_rng(4)
    y_true = rng.integers(0, 5, 400)
    y_pred = np.where(rng.random(400) < 0.7, (y_true * 3 + 1) % 7, rng.integers(0, 7, 400))
    table, clusters = matched_contingency_matrix(y_true, y_pred)
    assert table.shape == (5, 7) and sorted(clusters) == sorted(np.unique(y_pred))
    assert np.trace(table) / 400 == pytest.approx(acc(y_true, y_pred))
    # every column is the cluster it names, and the unmatched follow by size
    for column, cluster in enumerate(clusters):
        for row, label in enumerate(np.unique(y_true)):
            assert table[row, column] == np.sum((y_true == label) & (y_pred == cluster))
    assert table[:, 5].sum() >= table[:, 6].sum()
    # fewer clusters than classes: the matched ones first, in the order of their classes
    table, clusters = matched_contingency_matrix([0, 0, 1, 1, 2, 2], [5, 5, 5, 5, 9, 9])
    np.testing.assert_array_equal(clusters, [5, 9])
    np.testing.assert_array_equal(table, [[2, 0], [2, 0], [0, 2]])
