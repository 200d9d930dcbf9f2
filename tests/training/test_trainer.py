"""The trainer and the deep-estimator base, exercised through a small autoencoder method."""

import warnings

import numpy as np
import pytest
import torch
from torch import nn

from mvgraph.data import make_multiview_blobs
from mvgraph.metrics import acc
from mvgraph.models import CollapseWarning, DeepMultiViewClusterer
from mvgraph.models.base import parameter
from mvgraph.training import (
    Batch,
    NonFiniteLossError,
    Phase,
    Trainer,
    embedding_health,
    load_checkpoint,
)


class TinyAutoencoder(nn.Module):
    def __init__(self, dims, latent=4):
        super().__init__()
        self.encoders = nn.ModuleList(nn.Linear(d, latent) for d in dims)
        self.decoders = nn.ModuleList(nn.Linear(latent, d) for d in dims)

    def embed(self, views):
        return torch.stack([enc(v) for enc, v in zip(self.encoders, views)]).mean(0)


class AutoencoderKMeans(DeepMultiViewClusterer):
    """Mean of per-view linear encoders, trained to reconstruct every view; k-means."""

    default_scaler = "standard"

    n_clusters: int = parameter(3)
    epochs: tuple = parameter((3, 2))  # of the two phases
    batch_size: int = parameter(32)
    lr: float = parameter(1e-2)
    poison_epoch: int | None = parameter(None)  # a main epoch whose loss is not finite
    device: str = parameter("cpu")
    verbose: int = parameter(0)
    eval_every: int = parameter(1)
    n_init: int = parameter(3)

    def _build(self, dims):
        return TinyAutoencoder(dims)

    def _phases(self, model, views, presence):
        epoch = {"now": -1}

        def reconstruction(batch: Batch):
            z = model.embed(batch.views)
            terms = {"rec": sum(nn.functional.mse_loss(dec(z), v)
                                for dec, v in zip(model.decoders, batch.views))}
            if epoch["now"] == self.poison_epoch:
                terms["bad"] = torch.log(torch.zeros((), requires_grad=True) * z.sum())
            return terms

        def norm_penalty(batch: Batch):
            return {**reconstruction(batch), "norm": 1e-3 * model.embed(batch.views).pow(2).mean()}

        def count(e):
            epoch["now"] = e

        return [
            Phase("pretrain", self.epochs[0], reconstruction, model.parameters(), lr=self.lr),
            Phase("main", self.epochs[1], norm_penalty, model.parameters(), optimizer="rmsprop",
                  lr=self.lr / 10, batch_size=self.batch_size, on_epoch_start=count),
        ]

    def _forward_embedding(self, model, views):
        return model.embed(views)


@pytest.fixture(scope="module")
def data():
    return make_multiview_blobs(n_samples=300, n_views=2, n_clusters=3, dims=[6, 5],
                                noise=0.05, random_state=0)


def test_history_records_every_term_epoch_and_metric(data):
    model = AutoencoderKMeans(random_state=0).fit(data)
    history = model.history_
    assert [(r["phase"], r["epoch"]) for r in history] == [
        ("pretrain", 0), ("pretrain", 1), ("pretrain", 2), ("main", 0), ("main", 1)]
    assert all({"rec", "loss", "seconds", "acc", "nmi", "spread", "clusters"} <= set(r)
               for r in history)
    assert all("norm" in r for r in history[3:]) and "norm" not in history[0]
    assert history[-1]["loss"] == pytest.approx(history[-1]["rec"] + history[-1]["norm"])
    assert history[0]["rec"] > history[2]["rec"]  # it learns


def test_embedding_health_by_hand():
    corners = np.array([[0.0, 0.0], [2.0, 0.0], [0.0, 2.0], [2.0, 2.0]], dtype=np.float32)
    assert embedding_health(corners, np.array([0, 0, 1, 1])) == {"spread": 2.0, "clusters": 2}
    assert embedding_health(np.ones((5, 3)), np.zeros(5, dtype=int)) == {
        "spread": 0.0, "clusters": 1}


class CollapsedAutoencoderKMeans(AutoencoderKMeans):
    """Embeds every sample to the same point."""

    def _forward_embedding(self, model, views):
        return torch.zeros(views[0].shape[0], 4)


def test_a_collapsed_fit_warns_and_a_healthy_one_does_not(data):
    with pytest.warns(CollapseWarning, match="use 1 of the n_clusters=3 clusters"):
        CollapsedAutoencoderKMeans(random_state=0).fit(data)
    with warnings.catch_warnings():
        warnings.simplefilter("error", CollapseWarning)
        AutoencoderKMeans(random_state=0).fit(data)


def test_fit_predict_transform(data):
    model = AutoencoderKMeans(random_state=0)
    labels = model.fit_predict(data)
    assert labels.shape == (300,) and model.embedding_.shape == (300, 4)
    assert isinstance(model.model_, nn.Module)
    np.testing.assert_array_equal(model.predict(data), labels)
    np.testing.assert_allclose(model.transform(data), model.embedding_, atol=1e-6)
    assert model.score(data, data.labels) == acc(data.labels, labels)


def test_same_seed_same_labels(data):
    first = AutoencoderKMeans(random_state=7).fit(data)
    again = AutoencoderKMeans(random_state=7).fit(data)
    np.testing.assert_array_equal(first.labels_, again.labels_)
    np.testing.assert_allclose(first.embedding_, again.embedding_)


def test_nan_loss_names_phase_epoch_and_term(data):
    with pytest.raises(NonFiniteLossError, match=r"'bad'.*'main' at epoch 1"):
        AutoencoderKMeans(random_state=0, poison_epoch=1).fit(data)


def test_checkpoint_written_atomically(data, tmp_path):
    path = tmp_path / "ckpt.pt"
    model = AutoencoderKMeans(random_state=0, checkpoint_path=path).fit(data)
    saved = load_checkpoint(path)
    assert saved["training"]["position"] == [2, 0, 0]  # both phases done
    assert saved["training"]["history"] == model.history_
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt.pt"]


def test_minibatches_cover_the_data_once_per_epoch():
    views = [torch.arange(10.0).unsqueeze(1)]
    seen = []
    weight = nn.Parameter(torch.ones(()))

    def loss(batch):
        seen.append(batch.index.tolist())
        assert torch.equal(batch.views[0][:, 0], batch.index.float())
        return {"w": weight * batch.views[0].sum()}

    Trainer(verbose=0, random_state=0).fit(
        nn.Module(), [Phase("p", 2, loss, [weight], batch_size=4)], views)
    assert [len(b) for b in seen] == [4, 4, 2, 4, 4, 2]
    assert sorted(sum(seen[:3], [])) == list(range(10))
    seen.clear()
    Trainer(verbose=0, random_state=0).fit(
        nn.Module(), [Phase("p", 1, loss, [weight], batch_size=4, drop_last=True)], views)
    assert [len(b) for b in seen] == [4, 4]


def test_every_batch_carries_its_rows_of_the_presence_mask():
    views = [torch.arange(10.0).unsqueeze(1), torch.zeros(10, 2)]
    presence = torch.stack([torch.ones(10, dtype=torch.bool), torch.arange(10) % 3 == 0], 1)
    masks = []
    weight = nn.Parameter(torch.ones(()))

    def loss(batch):
        masks.append((batch.index.clone(), batch.presence))
        return {"w": weight * batch.views[0].sum()}

    for batch_size in (4, None):
        Trainer(verbose=0, random_state=0).fit(
            nn.Module(), [Phase("p", 1, loss, [weight], batch_size=batch_size)], views,
            presence=presence)
    assert len(masks) == 4
    for index, mask in masks:
        torch.testing.assert_close(mask, presence[index])
    masks.clear()
    Trainer(verbose=0, random_state=0).fit(
        nn.Module(), [Phase("p", 1, loss, [weight], batch_size=4)], views)
    assert all(mask is None for _, mask in masks)


def test_phase_validation():
    with pytest.raises(ValueError, match="optimizer"):
        Phase("p", 1, lambda b: {}, [], optimizer="sgd")
    with pytest.raises(ValueError, match="batch_size"):
        Phase("p", 1, lambda b: {}, [], batch_size=0)


def test_estimator_input_errors(data):
    with pytest.raises(ValueError, match="exceeds the number of samples"):
        AutoencoderKMeans(n_clusters=301).fit(data)
    model = AutoencoderKMeans(random_state=0).fit(data)
    with pytest.raises(ValueError, match="dimensions seen in fit"):
        model.predict([data.views[0], data.views[0][:, :4]])


def test_a_phase_can_override_how_often_it_is_evaluated():
    views = [torch.randn(12, 2)]
    weight = nn.Parameter(torch.ones(()))

    def loss(batch):
        return {"w": weight * batch.views[0].sum()}

    phases = [
        Phase("quiet", 5, loss, [weight], eval_every=0),
        Phase("busy", 3, loss, [weight]),
        Phase("sparse", 4, loss, [weight], eval_every=2),
    ]
    history = Trainer(verbose=0, random_state=0, eval_every=1).fit(
        nn.Module(), phases, views, labels=np.zeros(12, dtype=int),
        predict=lambda: (np.zeros((12, 2)), np.zeros(12, dtype=int)))
    evaluated = [(r["phase"], r["epoch"]) for r in history if "acc" in r]
    assert evaluated == [("quiet", 4), ("busy", 0), ("busy", 1), ("busy", 2),
                         ("sparse", 1), ("sparse", 3)]


def test_adam_is_fused_and_takes_the_plain_adam_steps():
    from mvgraph.training.trainer import make_optimizer

    torch.manual_seed(0)
    plain_model = nn.Sequential(nn.Linear(5, 7), nn.ReLU(), nn.Linear(7, 3))
    fused_model = nn.Sequential(nn.Linear(5, 7), nn.ReLU(), nn.Linear(7, 3))
    fused_model.load_state_dict(plain_model.state_dict())
    initial = plain_model[0].weight.detach().clone()
    plain = torch.optim.Adam(plain_model.parameters(), lr=1e-2, weight_decay=1e-3)
    fused = make_optimizer("adam", list(fused_model.parameters()), lr=1e-2, weight_decay=1e-3)
    assert fused.defaults["fused"] is True
    x = torch.randn(16, 5)
    for _ in range(20):
        for model, optimizer in ((plain_model, plain), (fused_model, fused)):
            optimizer.zero_grad()
            model(x).square().mean().backward()
            optimizer.step()
    for a, b in zip(plain_model.parameters(), fused_model.parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)
    assert (plain_model[0].weight - initial).abs().max() > 1e-2  # the steps did move
