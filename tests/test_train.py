"""fit(): divergence, interrupts, checkpoints, reproducibility, and one real learning run."""
import pytest
import torch
from torch import nn

import course_utils as cu
from course_utils.data import DeviceLoader
from course_utils.train import (DivergenceError, History, TrainingStopped, default_device,
                                 evaluate_accuracy, fit)


def toy_loaders(n=512, batch_size=64, seed=0):
    """Noisy images whose label says which quadrant is bright: easy to learn, quick to fit."""
    g = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, 4, (n,), generator=g)
    images = torch.randint(0, 100, (n, 1, 28, 28), generator=g, dtype=torch.uint8)
    for i, label in enumerate(labels.tolist()):
        row, col = divmod(label, 2)
        images[i, 0, 14 * row:14 * row + 14, 14 * col:14 * col + 14] += 120
    return (DeviceLoader(images, labels, batch_size, shuffle=True, seed=seed),
            DeviceLoader(images, labels, batch_size))


def small_mlp():
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 32), nn.ReLU(), nn.Linear(32, 4))


def saved_runs(path):
    """The run files fit wrote under the checkpoint name ``path`` (one per configuration)."""
    return sorted(path.parent.glob(f"{path.stem}.*{path.suffix}"))


def saved_run(path):
    (run,) = saved_runs(path)
    return run


class InterruptAfter(nn.Module):
    """Raises KeyboardInterrupt (as Ctrl-C would) on the n-th training forward pass."""

    def __init__(self, net, n):
        super().__init__()
        self.net, self.n, self.calls = net, n, 0

    def forward(self, X):
        if self.training:
            self.calls += 1
            if self.calls == self.n:
                raise KeyboardInterrupt
        return self.net(X)


def test_device_override(monkeypatch):
    monkeypatch.setenv("COURSE_DEVICE", "cpu")
    assert default_device() == torch.device("cpu")
    assert default_device("meta") == torch.device("meta")


def test_fit_learns_and_reports_every_epoch():
    train_iter, test_iter = toy_loaders()
    history = fit(small_mlp(), train_iter, test_iter, epochs=3, lr=0.5, progress=False)
    assert history.epoch == [1, 2, 3]
    for values in (history.train_loss, history.train_acc, history.test_acc,
                   history.examples_per_sec, history.wall_time):
        assert len(values) == 3
    assert history.test_acc[-1] > 0.9
    assert history.train_loss[-1] < history.train_loss[0]
    assert history.wall_time == sorted(history.wall_time) and history.examples_per_sec[0] > 0
    assert len(history.curve) >= 3 * 4  # live points a few times per epoch
    assert not history.interrupted


def test_fit_is_reproducible():
    runs = []
    for _ in range(2):
        train_iter, test_iter = toy_loaders()
        net = small_mlp()
        fit(net, train_iter, test_iter, epochs=2, lr=0.5, progress=False, verbose=False)
        runs.append(net.state_dict())
    for key in runs[0]:
        assert torch.equal(runs[0][key], runs[1][key])


def test_divergence_names_epoch_batch_and_lr():
    train_iter, test_iter = toy_loaders()
    net = small_mlp()
    with pytest.raises(DivergenceError, match=r"nan at epoch 1, batch \d+ \(lr=1e\+20\).*try lr=1e\+19"):
        fit(net, train_iter, test_iter, epochs=3, lr=1e20, progress=False)


def test_stop_ends_the_cell_and_keeps_the_finished_epochs(capsys):
    """Stop (a KeyboardInterrupt) is raised again, so the cell stops; the error holds the history."""
    train_iter, test_iter = toy_loaders()
    steps = len(train_iter)
    net = InterruptAfter(small_mlp(), n=steps + 3)  # during the second epoch
    with pytest.raises(KeyboardInterrupt) as stopped:
        fit(net, train_iter, test_iter, epochs=3, lr=0.5, progress=False)
    assert isinstance(stopped.value, TrainingStopped)
    history = stopped.value.history
    assert history.interrupted and history.epoch == [1]
    out = capsys.readouterr().out
    assert "Stopped during epoch 2 of 3, after 1 finished epoch(s); without a checkpoint" in out
    # The model is intact and usable: it classifies as well as after its first epoch at least.
    assert all(torch.isfinite(p).all() for p in net.parameters())
    assert evaluate_accuracy(net, test_iter) >= history.test_acc[0] - 0.05


def test_stop_inside_a_loop_of_runs_stops_the_loop_and_says_how_to_resume(tmp_path, capsys):
    """09 trains four models in one loop: one press of Stop must end the loop, not the current run."""
    started, histories = [], []
    with pytest.raises(KeyboardInterrupt) as stopped:
        for name in ("first", "second"):
            started.append(name)
            train_iter, test_iter = toy_loaders()
            stop_on_epoch_2 = lambda epoch, history, net: (_ for _ in ()).throw(KeyboardInterrupt) if epoch == 2 else None
            histories.append(fit(small_mlp(), train_iter, test_iter, epochs=3, lr=0.5, progress=False,
                                 checkpoint=tmp_path / f"{name}.pt", on_epoch_end=stop_on_epoch_2))
    assert started == ["first"] and histories == []  # the loop stopped with the first run
    # Jupyter shows one line for it below the printed message, not a traceback into fit.
    shown = stopped.value._render_traceback_()
    assert len(shown) == 1 and "the cell stopped here" in shown[0]
    out = capsys.readouterr().out
    path = tmp_path / "first.pt"
    assert f"epochs 1-2 are saved in {saved_run(path)}. Run the cell again to resume after epoch 2." in out
    # Running the cell again resumes after epoch 2 and finishes the run.
    train_iter, test_iter = toy_loaders()
    history = fit(small_mlp(), train_iter, test_iter, epochs=3, lr=0.5, progress=False, checkpoint=path)
    assert "Resuming" in capsys.readouterr().out and history.epoch == [1, 2, 3]


def test_stop_before_the_first_epoch_ends_leaves_nothing_behind(tmp_path, capsys):
    """Stopped in its first epoch, a run leaves no file and no half-made history for a later cell."""
    path = tmp_path / "run.pt"
    train_iter, test_iter = toy_loaders()
    with pytest.raises(TrainingStopped) as stopped:
        fit(InterruptAfter(small_mlp(), n=3), train_iter, test_iter, epochs=2, lr=0.5, progress=False,
            checkpoint=path)
    assert stopped.value.history.epoch == []
    assert "before any epoch finished: nothing to keep" in capsys.readouterr().out
    assert saved_runs(path) == [] and cu.finished_run(path) is None
    history = fit(small_mlp(), train_iter, test_iter, epochs=2, lr=0.5, progress=False, checkpoint=path)
    assert history.epoch == [1, 2] and "Resuming" not in capsys.readouterr().out


# OneCycle's state held a function before torch 2.4, which weights_only loading refuses: the
# schedule must still resume (this failed on the oldest torch that pyproject.toml allows).
@pytest.mark.parametrize("schedule", [{}, dict(scheduler="onecycle", momentum=0.9)], ids=["constant", "onecycle"])
def test_checkpoint_resume_matches_uninterrupted_run(tmp_path, capsys, schedule):
    path = tmp_path / "run.pt"
    train_iter, test_iter = toy_loaders()
    reference = small_mlp()
    ref_history = fit(reference, train_iter, test_iter, epochs=3, lr=0.5, progress=False, **schedule)

    train_iter, test_iter = toy_loaders()
    steps = len(train_iter)
    interrupted = InterruptAfter(small_mlp(), n=steps + 2)
    with pytest.raises(TrainingStopped):
        fit(interrupted, train_iter, test_iter, epochs=3, lr=0.5, progress=False, checkpoint=path, **schedule)
    state = torch.load(saved_run(path), weights_only=True)  # plain tensors and numbers only
    assert state["finished"] is False and state["history"]["epoch"] == [1]

    train_iter, test_iter = toy_loaders()
    resumed = InterruptAfter(small_mlp(), n=-1)
    history = fit(resumed, train_iter, test_iter, epochs=3, lr=0.5, progress=False, checkpoint=path, **schedule)
    out = capsys.readouterr().out
    assert "Resuming" in out and "Could not read" not in out
    assert history.epoch == [1, 2, 3]
    assert history.test_acc == pytest.approx(ref_history.test_acc)
    for key, value in reference.state_dict().items():
        torch.testing.assert_close(resumed.net.state_dict()[key], value)


def test_finished_checkpoint_skips_training_and_other_config_retrains(tmp_path, capsys):
    path = tmp_path / "run.pt"
    train_iter, test_iter = toy_loaders()
    trained = small_mlp()
    first = fit(trained, train_iter, test_iter, epochs=2, lr=0.5, progress=False, checkpoint=path)

    fresh = small_mlp()
    again = fit(fresh, train_iter, test_iter, epochs=2, lr=0.5, progress=False, checkpoint=path)
    assert "skipping training" in capsys.readouterr().out
    assert again.test_acc == first.test_acc
    for key, value in trained.state_dict().items():
        assert torch.equal(fresh.state_dict()[key], value)

    assert cu.finished_run(path) == first


def test_an_exercise_with_another_setting_keeps_the_lectures_run(tmp_path, capsys):
    """Copying the lecture's cell and changing the learning rate trains a run of its own: the
    lecture's finished run under the same name still loads, unchanged."""
    path = tmp_path / "lenet-laptop.pt"
    train_iter, test_iter = toy_loaders()
    lecture_net = small_mlp()
    lecture = fit(lecture_net, train_iter, test_iter, epochs=2, lr=0.5, progress=False, checkpoint=path)
    lecture_file = saved_run(path)
    lecture_bytes = lecture_file.read_bytes()

    exercise = fit(small_mlp(), train_iter, test_iter, epochs=2, lr=0.1, progress=False, checkpoint=path)
    assert exercise != lecture and len(saved_runs(path)) == 2
    assert lecture_file.read_bytes() == lecture_bytes  # not overwritten
    capsys.readouterr()

    again_net = small_mlp()
    again = fit(again_net, train_iter, test_iter, epochs=2, lr=0.5, progress=False, checkpoint=path)
    assert "Loaded the finished run" in capsys.readouterr().out and again == lecture
    for key, value in lecture_net.state_dict().items():
        assert torch.equal(again_net.state_dict()[key], value)
    # The exercise's run loads too, and both are listed.
    assert fit(small_mlp(), train_iter, test_iter, epochs=2, lr=0.1, progress=False, checkpoint=path) == exercise
    monkeypatch_dir = pytest.MonkeyPatch()
    monkeypatch_dir.setenv("COURSE_CHECKPOINT_DIR", str(tmp_path))
    try:
        runs = cu.list_runs("lenet")
        assert sorted(r["lr"] for r in runs) == ["0.1", "0.5"] and all(r["finished"] for r in runs)
        assert "2 saved run(s)" in capsys.readouterr().out
        one = cu.delete_runs(saved_runs(path)[0].name)  # the file name that fit's message names
        assert len(one) == 1 and len(saved_runs(path)) == 1
        deleted = cu.delete_runs("lenet")
        assert len(deleted) == 1 and saved_runs(path) == [] and cu.list_runs("lenet", show=False) == []
        with pytest.raises(ValueError, match="name the runs"):
            cu.delete_runs("")
    finally:
        monkeypatch_dir.undo()


def test_a_checkpoint_of_the_older_single_file_layout_is_adopted(tmp_path, capsys):
    """A file written before runs had their configuration in the name still loads."""
    path = tmp_path / "run.pt"
    train_iter, test_iter = toy_loaders()
    first = fit(small_mlp(), train_iter, test_iter, epochs=1, lr=0.5, progress=False, checkpoint=path)
    saved_run(path).replace(path)  # as the older version saved it
    assert saved_runs(path) == [] and cu.finished_run(path) == first
    again = fit(small_mlp(), train_iter, test_iter, epochs=1, lr=0.5, progress=False, checkpoint=path)
    assert again == first and "Loaded the finished run" in capsys.readouterr().out
    assert not path.exists() and len(saved_runs(path)) == 1  # moved to its new name


def test_the_checkpoints_stay_under_the_disk_limit(tmp_path, monkeypatch, capsys):
    """Past COURSE_CHECKPOINT_LIMIT_MB the runs used longest ago go, never the one being written."""
    train_iter, test_iter = toy_loaders()
    fit(small_mlp(), train_iter, test_iter, epochs=1, lr=0.5, progress=False, checkpoint=tmp_path / "a.pt")
    size = saved_run(tmp_path / "a.pt").stat().st_size
    monkeypatch.setenv("COURSE_CHECKPOINT_LIMIT_MB", str(1.5 * size / 1e6))
    fit(small_mlp(), train_iter, test_iter, epochs=1, lr=0.5, progress=False, checkpoint=tmp_path / "b.pt")
    assert saved_runs(tmp_path / "a.pt") == [] and len(saved_runs(tmp_path / "b.pt")) == 1
    assert "Deleted the saved run a." in capsys.readouterr().out


def test_finished_run_is_none_until_the_run_finishes(tmp_path):
    path = tmp_path / "run.pt"
    assert cu.finished_run(path) is None
    train_iter, test_iter = toy_loaders()
    with pytest.raises(TrainingStopped):
        fit(InterruptAfter(small_mlp(), n=len(train_iter) + 1), train_iter, test_iter, epochs=2, lr=0.5,
            progress=False, checkpoint=path)
    assert cu.finished_run(path) is None


def test_linear_model_on_feature_vectors_with_the_cuda_settings():
    """A linear baseline fed (batch, features) under amp and channels-last (fit's CUDA defaults).

    Only 4-D image batches have a channels-last layout; making a 2-D (or 3-D) batch
    channels-last raised "required rank 4 tensor to use channels_last format" (issue 10).
    """
    g = torch.Generator().manual_seed(0)
    for shape in [(96, 20), (96, 5, 4)]:
        X, y = torch.randn(*shape, generator=g), torch.randint(0, 3, (96,), generator=g)
        batches = list(zip(X.split(32), y.split(32)))
        net = nn.Sequential(nn.Flatten(), nn.Linear(20, 3))
        history = fit(net, batches, batches, epochs=2, lr=0.1, amp=True, channels_last=True,
                      progress=False, verbose=False)
        assert history.epoch == [1, 2] and all(torch.isfinite(torch.tensor(history.train_loss)))


# Every builder of course_utils at a small width and input size: (name, builder, input side).
SMALL_BUILDERS = [
    ("lenet", lambda: cu.lenet(), 28),
    ("lenet_bn", lambda: cu.lenet_bn(), 28),
    ("lenet_bn with the from-scratch BatchNorm", lambda: cu.lenet_bn(cu.BatchNorm), 28),
    ("alexnet", lambda: cu.alexnet(input_size=67, width=0.1), 67),
    ("vgg", lambda: cu.vgg(((1, 4), (1, 8)), input_size=32, fc_width=16), 32),
    ("vgg11", lambda: cu.vgg11(ratio=16, input_size=32, fc_width=32), 32),
    ("nin", lambda: cu.nin(width=0.1), 67),
    ("googlenet", lambda: cu.googlenet(width=0.1), 32),
    ("resnet18", lambda: cu.resnet18(width=0.1), 32),
    ("densenet", lambda: cu.densenet(growth_rate=4, arch=(1, 1, 1, 1), width=0.1), 32),
    ("cifar_net residual", lambda: cu.cifar_net(8, True, widths=(4, 8, 8)), 28),
    ("cifar_net plain", lambda: cu.cifar_net(8, False, widths=(4, 8, 8)), 28),
]


def test_every_builder_is_in_the_cuda_path_test():
    """A new builder in course_utils.models must be added to SMALL_BUILDERS."""
    from course_utils import models
    builders = {name for name in models.__all__ if name.islower() and name not in
                {"vgg_block", "nin_block", "conv_block", "transition_block",
                 "count_params", "count_layers", "flops", "summary"}}
    assert builders <= {name.split()[0] for name, _, _ in SMALL_BUILDERS}


@pytest.mark.parametrize("name, build, side", SMALL_BUILDERS, ids=[b[0] for b in SMALL_BUILDERS])
def test_every_builder_trains_with_the_cuda_code_paths(name, build, side):
    """fit(amp=True, channels_last=True), what a GPU runs, here with bf16 autocast on the CPU."""
    g = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (16, 1, 28, 28), generator=g, dtype=torch.uint8)
    labels = torch.randint(0, 10, (16,), generator=g)
    train_iter = DeviceLoader(images, labels, 8, shuffle=True, resize=side)  # two batches
    net = build()
    history = fit(net, train_iter, DeviceLoader(images, labels, 8, resize=side), epochs=1, lr=0.01,
                  device="cpu", amp=True, channels_last=True, progress=False, verbose=False)
    assert history.epoch == [1] and 0 <= history.test_acc[0] <= 1
    assert torch.isfinite(torch.tensor(history.train_loss[0]))
    for module in net.modules():
        if isinstance(module, nn.Conv2d):  # the model really runs channels-last
            assert module.weight.is_contiguous(memory_format=torch.channels_last)
    # Autocast computes in bf16 but the weights and batch statistics stay fp32.
    assert all(t.dtype == torch.float32 for t in net.state_dict().values() if t.is_floating_point())


def _finished_checkpoint(path):
    """A finished run's file, placed where the older version kept it (at the checkpoint name)."""
    train_iter, test_iter = toy_loaders()
    fit(small_mlp(), train_iter, test_iter, epochs=1, lr=0.5, progress=False, verbose=False, checkpoint=path)
    saved_run(path).replace(path)
    return path.read_bytes()


def _truncated(path):
    path.write_bytes(_finished_checkpoint(path)[:1000])


def _garbage(path):
    path.write_bytes(b"this is not a checkpoint\n" * 50)


def _empty(path):
    path.write_bytes(b"")


def _older_version(path):  # a checkpoint of an older layout: other keys
    torch.save({"model": small_mlp().state_dict(), "epoch": 3}, path)


def _other_history_fields(path):
    torch.save({"key": "x", "config": {}, "finished": True, "model": {}, "optimizer": {},
                "scheduler": None, "history": {"epochs": [1], "acc": [0.5]}}, path)


def _whole_model(path):  # weights_only=True refuses to unpickle an nn.Module
    torch.save(small_mlp(), path)


def _not_a_dict(path):
    torch.save([torch.zeros(3)], path)


def _other_weights(path):  # this configuration's key, but weights of another shape
    _finished_checkpoint(path)
    state = torch.load(path, weights_only=True)
    state["model"] = {k: torch.zeros(2, *v.shape[1:]) for k, v in state["model"].items()}
    torch.save(state, path)


UNREADABLE = [(_truncated, "truncated or corrupt"), (_garbage, "not a PyTorch file"),
              (_empty, "truncated or corrupt"), (_older_version, "lacks key, config, finished"),
              (_other_history_fields, "history does not fit"), (_whole_model, "Python objects"),
              (_not_a_dict, "holds a list")]


@pytest.mark.parametrize("spoil, reason", UNREADABLE, ids=[f.__name__[1:] for f, _ in UNREADABLE])
def test_an_unreadable_checkpoint_is_moved_aside_and_the_model_retrained(tmp_path, capsys, spoil, reason):
    path = tmp_path / "run.pt"
    spoil(path)
    spoiled = path.read_bytes()
    capsys.readouterr()

    assert cu.finished_run(path) is None
    out = capsys.readouterr().out
    assert f"Could not read the checkpoint {path}: " in out and reason in out

    train_iter, test_iter = toy_loaders()
    history = fit(small_mlp(), train_iter, test_iter, epochs=1, lr=0.5, progress=False, checkpoint=path)
    out = capsys.readouterr().out
    aside = tmp_path / "run.pt.unreadable"
    assert f"Could not read the checkpoint {path}: " in out and reason in out
    assert f"Moved it to {aside}" in out and "training from scratch" in out
    assert "weights_only" not in out  # never PyTorch's advice to unpickle an untrusted file
    assert aside.read_bytes() == spoiled  # kept, not destroyed
    assert history.epoch == [1]
    assert cu.finished_run(path) == history  # a fresh, readable checkpoint in its place


def test_a_checkpoint_with_weights_of_another_shape_is_moved_aside(tmp_path, capsys):
    """finished_run cannot know the model; fit checks the weights before loading any of them."""
    path = tmp_path / "run.pt"
    _other_weights(path)
    train_iter, test_iter = toy_loaders()
    net = small_mlp()
    history = fit(net, train_iter, test_iter, epochs=1, lr=0.5, progress=False, checkpoint=path)
    out = capsys.readouterr().out
    assert "its weight 1.weight has another shape" in out and "Moved it to" in out
    assert history.epoch == [1] and (tmp_path / "run.pt.unreadable").is_file()
    assert history.test_acc[0] > 0.5 and cu.finished_run(path) == history


def test_a_checkpoint_that_cannot_be_moved_aside_says_what_to_delete(tmp_path, monkeypatch):
    path = tmp_path / "run.pt"
    _garbage(path)

    def refuse(self, target):
        raise PermissionError("read-only folder")

    monkeypatch.setattr(type(path), "replace", refuse)
    train_iter, test_iter = toy_loaders()
    with pytest.raises(RuntimeError, match=rf"Could not read the checkpoint {path}: .*Delete it \(rm '{path}'\)"):
        fit(small_mlp(), train_iter, test_iter, epochs=1, lr=0.5, progress=False, checkpoint=path)


def test_on_epoch_end_sees_every_finished_epoch():
    train_iter, test_iter = toy_loaders()
    net, calls = small_mlp(), []

    def after_epoch(epoch, history, model):
        assert model is net and model.training
        assert history.epoch[-1] == epoch and len(history.test_acc) == epoch  # test accuracy recorded
        calls.append((epoch, evaluate_accuracy(model, test_iter)))

    history = fit(net, train_iter, test_iter, epochs=3, lr=0.5, progress=False, on_epoch_end=after_epoch)
    assert [epoch for epoch, _ in calls] == [1, 2, 3]
    assert [acc for _, acc in calls] == pytest.approx(history.test_acc)


def test_on_epoch_end_returning_true_stops_and_finishes_the_checkpoint(tmp_path, capsys):
    path = tmp_path / "run.pt"
    train_iter, test_iter = toy_loaders()
    seen = []
    history = fit(small_mlp(), train_iter, test_iter, epochs=5, lr=0.5, progress=False, checkpoint=path,
                  on_epoch_end=lambda epoch, history, net: seen.append(epoch) or epoch == 2)
    assert seen == [1, 2] and history.epoch == [1, 2] and not history.interrupted
    assert "stopped training after epoch 2 of 5" in capsys.readouterr().out
    assert cu.finished_run(path) == history  # a re-run returns the stopped run at once

    train_iter, test_iter = toy_loaders()
    again = fit(small_mlp(), train_iter, test_iter, epochs=5, lr=0.5, progress=False, checkpoint=path,
                on_epoch_end=lambda *args: pytest.fail("not called for loaded epochs"))
    assert again == history


def test_a_rehearsal_runs_a_few_small_batches_with_the_gpu_code_paths(monkeypatch):
    """COURSE_REHEARSAL=2x8: every loader pass is 2 batches, fit and evaluate_accuracy use 8
    examples of each (so does a training loop of a notebook's own), and fit turns on amp and
    channels-last."""
    train_iter, test_iter = toy_loaders(n=512, batch_size=64)
    first_full_batch = next(iter(toy_loaders(n=512, batch_size=64)[0]))[1]
    monkeypatch.setenv("COURSE_REHEARSAL", "2x8")
    assert len(train_iter) == 2 and train_iter.num_examples == 2 * 64
    batches = list(train_iter)
    assert [len(y) for _, y in batches] == [8, 8]  # a plain training loop sees what fit trains on
    assert torch.equal(batches[0][1], first_full_batch[:8])  # the same shuffle, cut short
    assert [len(y) for _, y in test_iter] == [64, 64]  # pictures from the first test batch keep it whole

    net = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 26 * 26, 4))
    seen = []
    net.register_forward_hook(lambda module, inputs, output: seen.append(
        (module.training, len(inputs[0]), output.dtype)))
    train_iter.epoch = 0
    history = fit(net, train_iter, test_iter, epochs=3, lr=0.1, progress=False, verbose=False)
    assert history.epoch == [1, 2, 3]
    training = [s for s in seen if s[0]]
    assert len(training) == 3 * 2 and len(seen) == 3 * 2 + 3 * 2  # and 2 test batches per epoch
    assert all(n == 8 for _, n, _ in seen)
    assert all(dtype == torch.bfloat16 for _, _, dtype in seen)  # bf16 autocast, on the CPU
    assert net[0].weight.is_contiguous(memory_format=torch.channels_last)

    # Plain lists of batches (a notebook's own features) are cut short by fit and evaluate_accuracy.
    features = [(torch.randn(5, 3), torch.randint(0, 2, (5,))) for _ in range(10)]
    linear, calls = nn.Linear(3, 2), []
    linear.register_forward_hook(lambda module, inputs, output: calls.append(module.training))
    fit(linear, features, features, epochs=2, lr=0.1, progress=False, verbose=False)
    assert calls.count(True) == 2 * 2 and calls.count(False) == 2 * 2
    assert 0 <= evaluate_accuracy(linear, features) <= 1 and calls.count(False) == 3 * 2


def test_training_throughput_times_whole_steps_as_fit_trains(monkeypatch):
    net, calls = nn.Sequential(nn.Conv2d(1, 4, 3), nn.Flatten(), nn.Linear(4 * 6 * 6, 10)), []
    net.register_forward_hook(lambda module, inputs, output: calls.append((len(inputs[0]), output.dtype)))
    speed = cu.training_throughput(net, (16, 1, 8, 8), warmup=2, steps=3, device="cpu")
    assert speed > 0 and calls == [(16, torch.float32)] * 5  # warm-up and timed steps, fp32 on a CPU
    calls.clear()
    cu.training_throughput(net, (16, 1, 8, 8), warmup=0, steps=1, amp=True, channels_last=True)
    assert calls == [(16, torch.bfloat16)] and net[0].weight.is_contiguous(memory_format=torch.channels_last)
    calls.clear()
    monkeypatch.setenv("COURSE_REHEARSAL", "2x4")  # a rehearsal: its batch size, a few steps
    cu.training_throughput(net, (16, 1, 8, 8), warmup=3, steps=10, device="cpu")
    assert calls == [(4, torch.bfloat16)] * 3
    with pytest.raises(ValueError, match="steps >= 1"):
        cu.training_throughput(net, (16, 1, 8, 8), steps=0)


def test_history_round_trip():
    history = History(epoch=[1], train_loss=[0.5], train_acc=[0.8], test_acc=[0.7],
                      examples_per_sec=[100.0], wall_time=[1.0], curve=[[1.0, 0.5, 0.8]], device="cpu")
    assert History.from_dict(history.to_dict()) == history
    assert "test acc 0.700" in history.summary()


def test_bad_options_are_refused():
    train_iter, test_iter = toy_loaders()
    for kwargs, match in [(dict(optimizer="rmsprop"), "optimizer"), (dict(scheduler="step"), "scheduler"),
                          (dict(init="he"), "init")]:
        with pytest.raises(ValueError, match=match):
            fit(small_mlp(), train_iter, test_iter, epochs=1, lr=0.1, progress=False, **kwargs)


def test_activation_stats_record_training_passes_only():
    train_iter, test_iter = toy_loaders()
    net = small_mlp()
    with cu.ActivationStats([net[1], net[3]], every=2) as stats:
        fit(net, train_iter, test_iter, epochs=2, lr=0.5, progress=False)
    steps = 2 * len(train_iter)
    assert stats.means.shape == (steps // 2, 2) and stats.stds.shape == (steps // 2, 2)
    assert (stats.stds > 0).all()


def test_a_small_cnn_learns_real_fashion_mnist_in_one_epoch():
    train_iter, test_iter = cu.load_fashion_mnist(128)
    net = nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),   # 16 x 14 x 14
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # 32 x 7 x 7
        nn.Flatten(), nn.Linear(32 * 7 * 7, 10))
    history = fit(net, train_iter, test_iter, epochs=1, lr=0.05, momentum=0.9, progress=False)
    assert history.test_acc[-1] >= 0.80
    assert evaluate_accuracy(net, test_iter) == pytest.approx(history.test_acc[-1])


def test_a_run_that_shows_no_batch_leaves_no_bar_or_empty_plot_behind():
    """A shape mistake in the first batch (or Stop at once): the 0% bar and the empty axes go, so
    the cell does not look like a hung run; once a batch was shown, both stay (the Stop's red bar)."""
    from course_utils.train import _Watch

    class Recorder:
        def __init__(self):
            self.calls = []

        def __getattr__(self, name):
            return lambda *args, **kwargs: self.calls.append(name)

    for moved in (False, True):
        history = History()
        watch = _Watch(history, epochs=2, steps=3, device=torch.device("cpu"), lr=0.1, plot=False,
                       progress=False, updates_per_epoch=3, name="run")
        bar, live = Recorder(), Recorder()
        bar.container = Recorder()
        watch.bar, watch.live, watch.moved = bar, live, moved
        if moved:
            history.curve.append([0.5, 2.3, 0.1])
        watch.close()
        watch.close()  # fit closes it again in its finally: nothing happens twice
        assert bar.calls == ["close"] and bar.container.calls == ([] if moved else ["close"])
        assert live.calls == ([] if moved else ["clear"])


def test_a_notebook_progress_bar_keeps_its_texts_on_one_line():
    """JupyterLab wraps tqdm's texts by default ("training lenet-" above "laptop: 8%"): fit's bar
    keeps each text whole and lets the bar itself give way (seen in a browser, issue 22)."""
    from tqdm import tqdm as text_tqdm
    from tqdm.notebook import tqdm as notebook_tqdm

    from course_utils.train import _one_line

    bar = notebook_tqdm(total=10, desc="training lenet-relu-max-laptop", display=False)
    _one_line(bar)
    left, progress, right = bar.container.children
    assert left.layout.min_width == right.layout.min_width == "max-content"
    assert progress.layout.flex == "1 1 100px" and progress.layout.max_width == "400px"
    assert bar.container.layout.flex_flow == "row wrap"
    bar.close()
    _one_line(text_tqdm(total=1, disable=True))  # a text bar (a terminal, CI): nothing to change
