import math

import numpy as np
import pytest
import torch
from conftest import floor_accuracies, sparse_counts
from sklearn.base import clone

from mvgraph.cluster import kmeans
from mvgraph.data import make_multiview_blobs
from mvgraph.metrics import evaluate
from mvgraph.models import CONAN, METHODS
from mvgraph.nn import ConvEncoder

# Small widths keep the tests fast; the defaults are the paper's.
SMALL = dict(
    hidden_dim=32,
    encoder_hidden=(32,),
    cluster_hidden_dim=16,
    projection_dim=16,
    prediction_dim=8,
    eval_every=0,
)


BLOBS = dict(n_samples=200, n_views=3, n_clusters=4, dims=[16, 12, 10], noise=0.05,
             random_state=0)


def test_fit_predict_and_labels_from_the_head(blobs):
    # the stable variant's head temperature (5.0 at 4 clusters) slows the head: 40
    # epochs leave seeds 0-2 at ACC 0.86 / 0.82 / 0.99, 80 reach 1.0 (15 suffice for the
    # paper's plain softmax)
    model = CONAN(4, epochs=80, batch_size=50, random_state=1, **SMALL).fit(blobs)
    assert evaluate(blobs.labels, model.labels_)["acc"] >= floor_accuracies(blobs, [0])[0] - 0.05
    assert model.embedding_.shape == (200, 32) and model.cluster_centers_ is None
    np.testing.assert_array_equal(model.predict(blobs), model.labels_)
    # Labels are the argmax of the DDC head on z, also for new samples.
    model.model_.eval()
    with torch.no_grad():
        z = torch.as_tensor(model.transform(blobs))
        expected = model.model_.head(z)[0].argmax(1).numpy()
    np.testing.assert_array_equal(model.labels_, expected)
    assert {"ddc", "contrast", "loss"} <= set(model.history_[-1])
    assert model.restart_losses_ == [model.history_[-1]["loss"]] and model.best_restart_ == 0


def test_dec_head_starts_from_kmeans_and_gives_the_labels(blobs):
    model = CONAN(4, clustering_head="dec", epochs=3, batch_size=50, random_state=0, **SMALL)
    model.fit(blobs)
    assert model.cluster_centers_.shape == (4, 32)
    assert "dec" in model.history_[-1]
    assert evaluate(blobs.labels, model.labels_)["acc"] > 0.9
    np.testing.assert_array_equal(model.predict(blobs), model.labels_)


def test_no_clustering_head_falls_back_to_kmeans(blobs):
    model = CONAN(4, clustering_head="none", epochs=3, random_state=0, **SMALL).fit(blobs)
    assert model.cluster_centers_.shape == (4, 32)
    np.testing.assert_array_equal(model.predict(blobs), model.labels_)


def test_restarts_keep_the_lowest_final_loss(blobs):
    single = CONAN(4, epochs=3, random_state=3, **SMALL).fit(blobs)
    model = CONAN(4, epochs=3, n_restarts=3, random_state=3, **SMALL).fit(blobs)
    assert len(model.restart_losses_) == 3
    assert model.best_restart_ == int(np.argmin(model.restart_losses_))
    assert model.history_[-1]["loss"] == min(model.restart_losses_)
    # Restart 0 is the single run with the same seed.
    assert model.restart_losses_[0] == pytest.approx(single.restart_losses_[0], rel=1e-6)


def test_restarts_escape_a_poor_run_by_loss_alone(blobs):
    # Unscaled, seed 0 of the paper's model alone merges two blobs; the merged run also
    # has the highest loss.
    poor = dict(variant="paper", epochs=5, batch_size=50, scaler="none", **SMALL)
    single = CONAN(4, random_state=0, **poor).fit(blobs)
    model = CONAN(4, n_restarts=3, random_state=0, **poor)
    model.fit(blobs)  # no labels: the choice cannot see them
    assert evaluate(blobs.labels, single.labels_)["acc"] < 0.8
    assert model.best_restart_ != 0 and evaluate(blobs.labels, model.labels_)["acc"] > 0.9


@pytest.mark.parametrize("n", [7, 101, 130])
def test_minibatches_at_any_n(n):
    data = make_multiview_blobs(n_samples=n, n_views=2, n_clusters=3, dims=[6, 5],
                                random_state=1)
    model = CONAN(3, epochs=2, batch_size=50, random_state=0, **SMALL).fit(data)
    assert model.labels_.shape == (n,)
    assert all(math.isfinite(record["loss"]) for record in model.history_)


def test_same_seed_same_labels(blobs):
    first = CONAN(4, epochs=3, batch_size=64, random_state=2, **SMALL).fit(blobs)
    again = CONAN(4, epochs=3, batch_size=64, random_state=2, **SMALL).fit(blobs)
    np.testing.assert_array_equal(first.labels_, again.labels_)


def test_image_shaped_views_get_the_convolutional_encoder():
    generator = np.random.default_rng(0)
    n, labels = 40, np.repeat([0, 1], 20)
    images = generator.random((n, 20, 20)).astype(np.float32) * 0.1
    images[labels == 1, 5:15, 5:15] += 1.0  # class 1 has a bright square
    flat = images.reshape(n, -1)
    vector = generator.normal(size=(n, 3)).astype(np.float32) + labels[:, None]
    model = CONAN(2, image_shape=[(20, 20), None], epochs=2, batch_size=20, random_state=0,
                  **SMALL).fit([flat, vector])
    assert isinstance(model.model_.encoders[0], ConvEncoder)
    assert not isinstance(model.model_.encoders[1], ConvEncoder)
    assert model.labels_.shape == (n,)
    both = CONAN(2, image_shape=(1, 20, 20), epochs=1, batch_size=20, random_state=0, **SMALL)
    both.fit([flat, flat])
    assert all(isinstance(encoder, ConvEncoder) for encoder in both.model_.encoders)
    with pytest.raises(ValueError, match="image_shape of view 1"):
        CONAN(2, image_shape=(20, 20), epochs=1, **SMALL).fit([flat, vector])


def test_reference_learning_rate_schedule_oscillates_every_step():
    model = CONAN(3)
    factory, per_step = model._scheduler()
    assert per_step
    optimizer = torch.optim.Adam([torch.nn.Parameter(torch.zeros(1))], lr=1e-3)
    scheduler = factory(optimizer)
    rates = []
    for _ in range(21):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    assert rates[0] == pytest.approx(1e-3) and rates[5] == pytest.approx(1e-4)
    assert rates[10] == pytest.approx(1e-3) and rates[15] == pytest.approx(1e-4)
    assert CONAN(3, lr_schedule="constant")._scheduler() == (None, False)


def test_parameters_are_cloned_registered_and_validated(blobs):
    model = CONAN(4, contrast="simsiam", batch_size=64, image_shape=None, random_state=1)
    assert clone(model).get_params() == model.get_params()
    assert METHODS["conan"] is CONAN
    bad = [
        (dict(contrast="moco"), "contrast must be one of"),
        (dict(clustering_head="kmeans"), "clustering_head must be one of"),
        (dict(contrast="none", clustering_head="none"), "nothing to train"),
        (dict(batch_size=1), "batch_size"),
        (dict(temperature=0.0), "temperature"),
        (dict(variant="literal"), "variant must be one of"),
        (dict(head_temperature=-1.0), "head_temperature"),
        (dict(n_restarts=0), "n_restarts"),
        (dict(lr_schedule="step"), "lr_schedule"),
        (dict(encoder_hidden=(0,)), "encoder_hidden"),
        (dict(image_shape=[(4, 4)]), "image_shape"),
        (dict(pretrain_epochs=-1), "pretrain_epochs"),
    ]
    for params, message in bad:
        with pytest.raises(ValueError, match=message):
            CONAN(4, epochs=1, **params).fit(blobs)
    with pytest.raises(ValueError, match="n_clusters >= 2"):
        CONAN(1, epochs=1).fit(blobs)


@pytest.mark.parametrize("variant, scaling, temperature", [
    ("stable", "auto", 3.0 * math.log(10.0) / math.log(4.0)), ("paper", "minmax", 1.0)])
def test_variant_sets_the_scaling_and_the_head_temperature(blobs, variant, scaling,
                                                           temperature):
    model = CONAN(4, variant=variant, epochs=1, batch_size=50, random_state=0, **SMALL)
    model.fit(blobs)
    assert model.scaler_method == model.scaler_.method == scaling
    assert model.model_.head.temperature == pytest.approx(temperature)
    chosen = CONAN(4, variant=variant, scaler="l2", head_temperature=2.0, epochs=1,
                   batch_size=50, random_state=0, **SMALL).fit(blobs)
    assert chosen.scaler_.method == "l2" and chosen.model_.head.temperature == 2.0


def test_the_stable_variant_pretrains_and_starts_the_head_on_sparse_views_only(blobs):
    schedule = dict(SMALL, epochs=2, batch_size=50)
    stable = CONAN(4, random_state=0, **schedule).fit(blobs)
    paper = CONAN(4, variant="paper", random_state=0, **schedule).fit(blobs)
    assert stable.pretraining_epochs(blobs.views) == paper.pretraining_epochs(blobs.views) == 0
    assert [row["phase"] for row in stable.history_] == ["main"] * 2
    assert stable.model_.decoders is None

    counts = sparse_counts(blobs, density=0.08)
    # 200 rows in 4 full batches of 50: 1000 steps take 250 epochs
    assert stable.pretraining_epochs(counts) == 250
    assert stable.pretraining_epochs([torch.from_numpy(view) for view in counts]) == 250
    assert paper.pretraining_epochs(counts) == 0
    # a plain softmax (T = 1) follows the 40 steps of the head start closely at this size
    started = dict(schedule, pretrain_epochs=20, head_temperature=1.0)
    fitted = CONAN(4, random_state=0, **started).fit(counts)
    phases = [row["phase"] for row in fitted.history_]
    assert phases == ["pretrain"] * 20 + ["head-start"] * 10 + ["main"] * 2
    # the encoders stay as pretraining left them: the head's labels follow k-means on the
    # concatenated view representations the head started from
    tensors = [torch.as_tensor(view) for view in fitted.scaler_.transform(counts)]
    representations = torch.cat(fitted.model_.encode(tensors)[0], dim=1).detach()
    start = kmeans(representations, 4, n_init=10, random_state=0)
    assert evaluate(start.labels, fitted.labels_)["ari"] > 0.85
    # the main phase trains everything but the encoders: a longer one leaves them as they were
    longer = CONAN(4, random_state=0, **dict(started, epochs=4)).fit(counts)
    for kept, trained in zip(fitted.model_.encoders.parameters(),
                             longer.model_.encoders.parameters(), strict=True):
        assert torch.equal(kept, trained)
    assert not torch.equal(fitted.model_.head.output.weight, longer.model_.head.output.weight)
