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


def test_default_depends_on_gpu(monkeypatch):
    monkeypatch.delenv("COURSE_PROFILE", raising=False)
    monkeypatch.setattr(profile, "_has_gpu", lambda: False)
    assert profile.active_profile() == "laptop"
    monkeypatch.setattr(profile, "_has_gpu", lambda: True)
    assert profile.active_profile() == "full"


def test_unknown_profile_is_refused(monkeypatch):
    monkeypatch.setenv("COURSE_PROFILE", "huge")
    with pytest.raises(ValueError, match="full, laptop, smoke"):
        profile.active_profile()


def test_profiles_must_name_the_same_settings():
    with pytest.raises(ValueError, match="'smoke'.*lr"):
        profile.settings(full=dict(epochs=1, lr=1), laptop=dict(epochs=1, lr=1), smoke=dict(epochs=1))
