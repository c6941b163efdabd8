import pytest

from course_utils import profile

SETTINGS = dict(full=dict(epochs=10, lr=0.9), laptop=dict(epochs=3, lr=0.9), smoke=dict(epochs=1, lr=0.5))


@pytest.mark.parametrize("name", profile.PROFILES)
def test_the_variable_picks_the_profile(monkeypatch, capsys, name):
    monkeypatch.setenv("COURSE_PROFILE", name)
    cfg = profile.settings(**SETTINGS)
    assert cfg.profile == name
    assert cfg.epochs == SETTINGS[name]["epochs"] and cfg.lr == SETTINGS[name]["lr"]
    assert f"Profile '{name}'" in capsys.readouterr().out


@pytest.mark.parametrize("cuda, mps, expected", [(False, False, "laptop"), (False, True, "laptop"),
                                                 (True, False, "full"), (True, True, "full")],
                         ids=["cpu", "apple-gpu", "cuda", "cuda-and-mps"])
def test_default_is_full_on_cuda_and_laptop_elsewhere(monkeypatch, cuda, mps, expected):
    """A MacBook's Apple GPU (MPS) is a laptop's budget: it gets laptop, not 224x224 VGG for 10 epochs."""
    monkeypatch.delenv("COURSE_PROFILE", raising=False)
    monkeypatch.setattr(profile.torch.cuda, "is_available", lambda: cuda)
    monkeypatch.setattr(profile.torch.backends.mps, "is_available", lambda: mps)
    assert profile.active_profile() == expected


def test_unknown_profile_is_refused(monkeypatch):
    monkeypatch.setenv("COURSE_PROFILE", "huge")
    with pytest.raises(ValueError, match="full, laptop, smoke"):
        profile.active_profile()


def test_profiles_must_name_the_same_settings():
    with pytest.raises(ValueError, match="'smoke'.*lr"):
        profile.settings(full=dict(epochs=1, lr=1), laptop=dict(epochs=1, lr=1), smoke=dict(epochs=1))


def test_rehearsal_limits(monkeypatch):
    monkeypatch.delenv("COURSE_REHEARSAL", raising=False)
    assert profile.rehearsal() is None
    monkeypatch.setenv("COURSE_REHEARSAL", "2")
    assert profile.rehearsal() == profile.Rehearsal(batches=2, batch_size=None)
    monkeypatch.setenv("COURSE_REHEARSAL", " 3x8 ")
    assert profile.rehearsal() == profile.Rehearsal(batches=3, batch_size=8)
    for bad in ["0", "two", "2x0", "2x", "-1"]:
        monkeypatch.setenv("COURSE_REHEARSAL", bad)
        with pytest.raises(ValueError, match="COURSE_REHEARSAL.*e.g. 2x8"):
            profile.rehearsal()


def test_settings_say_when_it_is_a_rehearsal(monkeypatch, capsys):
    monkeypatch.setenv("COURSE_PROFILE", "full")
    monkeypatch.setenv("COURSE_REHEARSAL", "2x8")
    cfg = profile.settings(**SETTINGS)
    assert cfg.epochs == 10  # the profile's settings, unchanged
    assert "Rehearsal (COURSE_REHEARSAL): 2 batch(es) of at most 8 examples per pass" in capsys.readouterr().out
