import json

import numpy as np
import pytest
import scipy.io
from conftest import run_cli

from mvgraph.data import MultiViewData, load_mat, load_views
from mvgraph.experiment import load_data
from mvgraph.metrics import evaluate


def test_fit_writes_results(tmp_path, capsys):
    out = tmp_path / "run"
    code, stdout, _ = run_cli(capsys, "fit", "concat-kmeans", "--data",
                              "synthetic:n=300,views=2,clusters=3,dim=8", "--seed", "1",
                              "--set", "n_init=2", "--out", str(out))
    assert code == 0
    assert "ACC" in stdout and "NMI" in stdout and "PUR" in stdout
    metrics = json.loads((out / "metrics.json").read_text())
    labels = np.load(out / "labels.npy")
    truth = load_data("synthetic:n=300,views=2,clusters=3,dim=8").labels
    for key, value in evaluate(truth, labels).items():  # the metrics of the saved labels
        assert metrics[key] == pytest.approx(value)
    assert metrics["method"] == "concat-kmeans" and metrics["seed"] == 1
    assert metrics["params"]["n_init"] == 2 and metrics["scaler"] == "auto"
    assert metrics["view_scalers"] == ["minmax", "minmax"]  # dense views
    assert labels.shape == (300,)
    assert np.load(out / "embedding.npy").shape[0] == 300


def test_fit_concat_kmeans_on_ngs_scales_the_text_views_by_rows(tmp_path, capsys):
    try:
        load_data("ngs")
    except FileNotFoundError as missing:
        pytest.skip(f"benchmark data not found: {missing}")
    out = tmp_path / "ngs"
    code, _, _ = run_cli(capsys, "fit", "concat-kmeans", "--data", "ngs", "--out", str(out))
    metrics = json.loads((out / "metrics.json").read_text())
    assert code == 0 and metrics["view_scalers"] == ["l2", "l2", "l2"]
    assert metrics["acc"] >= 0.95  # min-max on every view, the old default: 0.212


def test_bench_writes_json_and_table(tmp_path, capsys):
    code, stdout, _ = run_cli(capsys, "bench", "--methods", "concat-kmeans", "--datasets",
                              "synthetic:n=200,views=2,clusters=4", "--seeds", "2",
                              "--name", "smoke", "--out", str(tmp_path))
    assert code == 0
    report = json.loads((tmp_path / "smoke.json").read_text())
    assert len(report["runs"]) == 2 and report["summary"][0]["seeds"] == [0, 1]
    assert {"acc", "acc_std", "nmi", "seconds"} <= set(report["summary"][0])
    assert "| concat-kmeans |" in (tmp_path / "smoke.md").read_text()


def test_bench_jobs_run_in_processes_and_give_the_serial_report(tmp_path, capsys):
    data = ["synthetic:n=200,views=2,clusters=4", "synthetic:n=150,views=3,clusters=3"]
    reports = {}
    for jobs in ("1", "2"):
        code, _, _ = run_cli(capsys, "bench", "--methods", "concat-kmeans", "--datasets", *data,
                             "--seeds", "2", "--name", f"jobs{jobs}", "--out", str(tmp_path),
                             "--jobs", jobs)
        assert code == 0
        reports[jobs] = json.loads((tmp_path / f"jobs{jobs}.json").read_text())

    def timeless(report):
        runs = [{k: v for k, v in r.items() if k != "seconds"} for r in report["runs"]]
        summary = [{k: v for k, v in s.items() if not k.startswith("seconds")}
                   for s in report["summary"]]
        return runs, summary

    assert [(r["dataset"], r["seed"]) for r in reports["2"]["runs"]] == [
        (data[0], 0), (data[0], 1), (data[1], 0), (data[1], 1)]
    assert timeless(reports["2"]) == timeless(reports["1"])
    assert run_cli(capsys, "bench", "--methods", "concat-kmeans", "--datasets", data[0],
                   "--jobs", "0", "--out", str(tmp_path))[0] == 2
    # an error in a worker process stops the benchmark with the worker's message
    code, _, stderr = run_cli(capsys, "bench", "--methods", "concat-kmeans", "--datasets",
                              *data, "--seeds", "2", "--jobs", "2", "--set", "bogus=1",
                              "--out", str(tmp_path))
    assert code == 2 and "unknown parameter" in stderr and "bogus" in stderr


def test_bench_resumes_from_the_runs_already_written(tmp_path, capsys, monkeypatch):
    data = "synthetic:n=200,views=2,clusters=4"
    args = ("bench", "--methods", "concat-kmeans", "--datasets", data, "--name", "resume",
            "--out", str(tmp_path))
    assert run_cli(capsys, *args, "--seeds", "2")[0] == 0
    first = json.loads((tmp_path / "resume.json").read_text())["runs"]

    import mvgraph.benchmark as benchmark

    calls = []
    real_run = benchmark.run

    def counted_run(*args, **kwargs):
        calls.append(kwargs["seed"])
        return real_run(*args, **kwargs)

    monkeypatch.setattr(benchmark, "run", counted_run)
    assert run_cli(capsys, *args, "--seeds", "3", "--resume")[0] == 0
    report = json.loads((tmp_path / "resume.json").read_text())
    assert calls == [2]  # seeds 0 and 1 were kept, not run again
    assert report["runs"][:2] == first and report["summary"][0]["seeds"] == [0, 1, 2]
    code, _, stderr = run_cli(capsys, *args, "--seeds", "3", "--resume", "--set", "n_init=2")
    assert code == 2 and "cannot resume" in stderr

    # a preset added for the set since: every seed runs again, with it
    from mvgraph.models import ConcatKMeans

    monkeypatch.setattr(ConcatKMeans, "presets", {data: {"scaler": "l2"}})
    calls.clear()
    assert run_cli(capsys, *args, "--seeds", "3", "--resume")[0] == 0
    report = json.loads((tmp_path / "resume.json").read_text())
    assert calls == [0, 1, 2] and all(r["preset"] == {"scaler": "l2"} for r in report["runs"])


def test_datasets_lists_registry(capsys):
    code, stdout, _ = run_cli(capsys, "datasets")
    assert code == 0
    assert "handwritten" in stdout and "present" in stdout


def _assert_same_one_line_error(capsys, path, api_call):
    code, _, stderr = run_cli(capsys, "fit", "concat-kmeans", "--data", str(path))
    assert code == 2
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("mvgraph: error: ")
    with pytest.raises(ValueError) as raised:
        api_call(path)
    assert lines[0] == f"mvgraph: error: {raised.value}"


def test_truncated_mat_file(tmp_path, capsys):
    path = tmp_path / "cut.mat"
    rng = np.random.default_rng(0)
    scipy.io.savemat(path, {"X1": rng.normal(size=(50, 20)), "X2": rng.normal(size=(50, 9)),
                            "Y": np.arange(50) % 3})
    path.write_bytes(path.read_bytes()[:3000])
    _assert_same_one_line_error(capsys, path, load_mat)


def test_view_with_nan(tmp_path, capsys):
    path = tmp_path / "nan.mat"
    view = np.ones((20, 3))
    view[4, 2] = np.nan
    scipy.io.savemat(path, {"X1": view, "X2": np.ones((20, 2)), "Y": np.arange(20) % 2})
    _assert_same_one_line_error(capsys, path, load_mat)


def test_views_with_different_sample_counts(tmp_path, capsys):
    path = tmp_path / "mismatch.npz"
    np.savez(path, view_0=np.ones((20, 3)), view_1=np.ones((19, 3)))
    _assert_same_one_line_error(capsys, path, load_views)
    with pytest.raises(ValueError, match="same number of samples"):
        MultiViewData([np.ones((20, 3)), np.ones((19, 3))])


def test_unknown_method_parameter(capsys):
    code, _, stderr = run_cli(capsys, "fit", "concat-kmeans", "--data", "synthetic:n=50",
                              "--set", "epochs=3")
    assert code == 2 and "unknown parameter(s) ['epochs']" in stderr


def test_more_clusters_than_samples(capsys):
    code, _, stderr = run_cli(capsys, "fit", "concat-kmeans", "--data", "synthetic:n=50",
                              "--clusters", "60")
    assert code == 2 and "n_clusters=60 exceeds the number of samples (50)" in stderr


def test_unknown_dataset(capsys):
    code, _, stderr = run_cli(capsys, "fit", "concat-kmeans", "--data", "no-such-set")
    assert code == 2 and "no-such-set" in stderr


def test_presets_apply_per_dataset_and_can_be_switched_off(tmp_path, capsys, monkeypatch):
    from mvgraph.models import ConcatKMeans

    spec = "synthetic:n=120,views=2,clusters=3,dim=4"
    monkeypatch.setattr(ConcatKMeans, "presets", {spec: {"n_init": 3, "scaler": "l2"}})
    code, stdout, _ = run_cli(capsys, "bench", "--methods", "concat-kmeans", "--datasets", spec,
                              "--seeds", "1", "--set", "n_init=2", "--name", "p",
                              "--out", str(tmp_path))
    assert code == 0
    run = json.loads((tmp_path / "p.json").read_text())["runs"][0]
    # --set wins over the preset; the rest of the preset applies and is recorded.
    assert run["params"]["n_init"] == 2 and run["scaler"] == "l2"
    assert run["preset"] == {"scaler": "l2"}
    assert "(preset)" in (tmp_path / "p.md").read_text()

    out = tmp_path / "fit"
    code, _, _ = run_cli(capsys, "fit", "concat-kmeans", "--data", spec, "--no-preset",
                         "--out", str(out))
    metrics = json.loads((out / "metrics.json").read_text())
    assert code == 0 and metrics["preset"] == {} and metrics["scaler"] == "auto"


def test_kmeans_runs_are_averaged_in_bench_and_fit(tmp_path, capsys):
    code, stdout, _ = run_cli(capsys, "bench", "--methods", "concat-kmeans", "--datasets",
                              "synthetic:n=120,views=2,clusters=3", "--seeds", "2",
                              "--kmeans-runs", "3", "--name", "avg", "--out", str(tmp_path))
    assert code == 0
    report = json.loads((tmp_path / "avg.json").read_text())
    assert report["runs"][0]["kmeans_average"]["runs"] == 3
    summary = report["summary"][0]["kmeans_average"]
    assert {"runs", "acc", "acc_std", "nmi"} <= set(summary)
    assert "averaged over 3 k-means runs" in (tmp_path / "avg.md").read_text()
    code, stdout, _ = run_cli(capsys, "fit", "concat-kmeans", "--data",
                              "synthetic:n=120,views=2,clusters=3", "--kmeans-runs", "2",
                              "--out", str(tmp_path / "fit"))
    assert code == 0 and "averaged over 2 k-means runs" in stdout
    metrics = json.loads((tmp_path / "fit" / "metrics.json").read_text())
    assert metrics["kmeans_average"]["runs"] == 2


def test_bench_records_every_restart_of_a_run(tmp_path, capsys):
    code, _, _ = run_cli(capsys, "bench", "--methods", "conan", "--datasets",
                         "synthetic:n=120,views=2,clusters=3", "--seeds", "1",
                         "--set", "n_restarts=3", "--set", "epochs=2",
                         "--name", "restarts", "--out", str(tmp_path))
    assert code == 0
    restarts = json.loads((tmp_path / "restarts.json").read_text())["runs"][0]["restarts"]
    assert len(restarts["losses"]) == len(restarts["cluster_counts"]) == 3
    assert restarts["seeds"][0] == 0 and len(set(restarts["seeds"])) == 3
    usable = [i for i, used in enumerate(restarts["cluster_counts"]) if used == 3]
    candidates = usable or range(3)
    assert restarts["kept"] == min(candidates, key=restarts["losses"].__getitem__)

    code, _, _ = run_cli(capsys, "bench", "--methods", "conan", "--datasets",
                         "synthetic:n=120,views=2,clusters=3", "--seeds", "1",
                         "--set", "epochs=2", "--name", "single", "--out", str(tmp_path))
    assert "restarts" not in json.loads((tmp_path / "single.json").read_text())["runs"][0]


@pytest.mark.parametrize(("arguments", "message"), [
    (["--data", "synthetic:n=abc"],
     "synthetic option n must be an integer; got 'abc' in 'synthetic:n=abc'"),
    (["--set", "n_init=abc"], "n_init must be an integer >= 1; got 'abc'"),
    (["--set", "n_init=2.5"], "n_init must be an integer >= 1; got 2.5"),
    (["--seed", "-1"], "argument --seed: expected an integer >= 0; got '-1'"),
    (["--seed", "x"], "argument --seed: expected an integer >= 0; got 'x'"),
    (["--clusters", "0"], "argument --clusters: expected an integer >= 1; got '0'"),
    (["--set", "scaler=bogus"], "scaler must be one of auto, sparse-l2, minmax, standard, l2, "
                                "none; got 'bogus'"),
    (["--set", "random_state=3"], "random_state is the run's seed (--seed, --seeds)"),
    (["--clusters", "3", "--set", "n_clusters=4"],
     "n_clusters is given twice: 3 (--clusters) and 4 (a parameter)"),
    (["--kmeans-runs", "-1"], "argument --kmeans-runs: expected an integer >= 0; got '-1'"),
    (["--max-memory", "lots"], "argument --max-memory: a memory size must be a positive "
                               "number with an optional unit"),
    (["--resume"], "--checkpoint and --resume: concat-kmeans has no training to checkpoint"),
    (["--set", "max_iter=many"], "max_iter must be an integer >= 1; got 'many'"),
    (["--missing-rate", "1.5"], "argument --missing-rate: expected a number in [0, 1]; got "
                                "'1.5'"),
])
def test_bad_arguments_get_one_line_naming_them(tmp_path, capsys, arguments, message):
    # a repeated option takes its last value
    code, stdout, stderr = run_cli(capsys, "fit", "concat-kmeans", "--data", "synthetic:n=60",
                                   "--out", str(tmp_path / "run"), *arguments)
    assert code == 2 and stdout == ""
    assert stderr.startswith("mvgraph: error: ") and stderr.count("\n") == 1
    assert message in stderr
    assert not (tmp_path / "run").exists()


def test_out_naming_a_file_is_refused_before_the_data_are_read(tmp_path, capsys, monkeypatch):
    import mvgraph.experiment

    def never(spec):
        raise AssertionError("the data were read before --out was checked")

    monkeypatch.setattr(mvgraph.experiment, "load_data", never)
    taken = tmp_path / "taken"
    taken.write_text("keep")
    code, _, stderr = run_cli(capsys, "fit", "concat-kmeans", "--data", "synthetic:n=60",
                              "--out", str(taken))
    assert code == 2 and f"--out must name a folder; got the existing file '{taken}'" in stderr
    assert taken.read_text() == "keep"
    code, _, stderr = run_cli(capsys, "bench", "--methods", "concat-kmeans", "--datasets",
                              "synthetic:n=60", "--out", str(taken))
    assert code == 2 and "--out must name a folder" in stderr


def test_n_clusters_as_a_parameter_is_honoured(tmp_path, capsys):
    out = tmp_path / "run"
    code, _, _ = run_cli(capsys, "fit", "concat-kmeans", "--data", "synthetic:n=60,clusters=3",
                         "--set", "n_clusters=4", "--out", str(out))
    metrics = json.loads((out / "metrics.json").read_text())
    assert code == 0 and metrics["n_clusters"] == metrics["params"]["n_clusters"] == 4
    assert metrics["clusters_found"] == 4


def test_identical_samples_are_refused_and_empty_clusters_are_reported(tmp_path, capsys):
    path = tmp_path / "same.npz"
    np.savez(path, view_0=np.ones((30, 3)), view_1=np.ones((30, 2)), labels=np.arange(30) % 3)
    code, stdout, stderr = run_cli(capsys, "fit", "concat-kmeans", "--data", str(path),
                                   "--out", str(tmp_path / "run"))
    assert code == 2 and stdout == "" and stderr.count("\n") == 1
    assert "the views hold 1 distinct sample(s), fewer than n_clusters=3" in stderr
    # 3 distinct samples for 3 clusters, but one view constant: a one-line warning
    varied = np.repeat(np.eye(3), 10, axis=0)
    np.savez(path, view_0=varied, view_1=np.ones((30, 2)), labels=np.arange(30) % 3)
    code, _, stderr = run_cli(capsys, "fit", "concat-kmeans", "--data", str(path),
                              "--out", str(tmp_path / "run"))
    assert code == 0
    assert stderr == ("mvgraph: warning: views[1] is constant (every sample has the same "
                      "row): it carries nothing to cluster on\n")


def test_fewer_clusters_found_than_asked_are_said(tmp_path, capsys, monkeypatch):
    from mvgraph.models import ConcatKMeans

    fit = ConcatKMeans._fit

    def merge_the_last_cluster(self, views, labels, presence):
        fit(self, views, labels, presence)
        self.labels_ = np.where(self.labels_ == self.n_clusters - 1, 0, self.labels_)

    monkeypatch.setattr(ConcatKMeans, "_fit", merge_the_last_cluster)
    out = tmp_path / "run"
    code, stdout, stderr = run_cli(capsys, "fit", "concat-kmeans", "--data",
                                   "synthetic:n=90,clusters=3", "--out", str(out))
    assert code == 0 and "note: the labels use 2 of the 3 clusters asked for" in stdout
    assert stderr == ("mvgraph: warning: ConcatKMeans: the labels use 2 of the n_clusters=3 "
                      "clusters\n")
    assert json.loads((out / "metrics.json").read_text())["clusters_found"] == 2


def test_the_command_line_starts_without_torch():
    import subprocess
    import sys

    script = ("import sys, mvgraph, mvgraph.cli; mvgraph.cli.main(['datasets']); "
              "assert not {'torch', 'torch_geometric', 'sklearn', 'faiss'} & set(sys.modules)")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "handwritten" in done.stdout


def test_package_names_resolve_on_first_use():
    import mvgraph
    import mvgraph.models.crrc

    assert mvgraph.CRRC is mvgraph.models.crrc.CRRC and "CRRC" in dir(mvgraph)
    assert mvgraph.METHODS["crrc"] is mvgraph.CRRC
    with pytest.raises(AttributeError, match="module 'mvgraph' has no attribute 'Nope'"):
        mvgraph.Nope  # noqa: B018


def test_missing_rate_is_applied_with_the_seed_and_recorded(tmp_path, capsys):
    code, _, _ = run_cli(capsys, "fit", "concat-kmeans", "--data", "synthetic:n=90,views=3",
                         "--missing-rate", "0.4", "--seed", "2", "--out", str(tmp_path / "run"))
    assert code == 0
    assert json.loads((tmp_path / "run" / "metrics.json").read_text())["missing_rate"] == 0.4
    code, _, _ = run_cli(capsys, "fit", "dmac", "--data", "synthetic:n=90,views=3",
                         "--missing-rate", "0.4", "--set", "pretrain_epochs=2", "--set",
                         "epochs=1", "--out", str(tmp_path / "deep"))
    assert code == 0
    assert json.loads((tmp_path / "deep" / "metrics.json").read_text())["missing_rate"] == 0.4
    code, _, _ = run_cli(capsys, "bench", "--methods", "anchor-spectral", "--datasets",
                         "synthetic:n=90,views=3", "--seeds", "1", "--missing-rate", "0.4",
                         "--set", "n_anchors=30", "--name", "mr", "--out", str(tmp_path))
    report = json.loads((tmp_path / "mr.json").read_text())
    assert code == 0 and report["missing_rate"] == 0.4
    assert report["runs"][0]["missing_rate"] == 0.4
