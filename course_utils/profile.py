"""One switch for how big every experiment is: the ``COURSE_PROFILE`` variable.

* ``full``   -- the lecture's real settings; meant for a GPU.
* ``laptop`` -- every notebook in a few minutes on a CPU, with honest accuracy.
* ``smoke``  -- seconds per notebook; what CI runs.

A notebook states its settings once, for all three profiles, and reads them here::

    cfg = course_utils.settings(
        full=dict(epochs=10, lr=0.9, batch_size=256),
        laptop=dict(epochs=3, lr=0.9, batch_size=256),
        smoke=dict(epochs=1, lr=0.9, batch_size=256),
    )
    cfg.epochs  # the active profile's value
"""
from __future__ import annotations

import os
from types import SimpleNamespace

import torch

PROFILES = ("full", "laptop", "smoke")


def _has_gpu() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return torch.cuda.is_available() or bool(mps and mps.is_available())


def active_profile() -> str:
    """The profile named by ``COURSE_PROFILE``; by default ``full`` with a GPU, else ``laptop``."""
    name = os.environ.get("COURSE_PROFILE", "").strip().lower()
    if not name:
        return "full" if _has_gpu() else "laptop"
    if name not in PROFILES:
        raise ValueError(
            f"COURSE_PROFILE={name!r} is not a profile; choose one of {', '.join(PROFILES)} "
            "(or unset it to pick full on a GPU and laptop otherwise)."
        )
    return name


def settings(*, full: dict, laptop: dict, smoke: dict, profile: str | None = None,
             verbose: bool = True) -> SimpleNamespace:
    """Pick this notebook's hyperparameters for the active profile and print them.

    All three profiles must name the same settings, so that switching profile never
    leaves a setting undefined. Returns a namespace (``cfg.epochs``) with ``cfg.profile``.
    """
    table = {"full": full, "laptop": laptop, "smoke": smoke}
    keys = set(full)
    for name, values in table.items():
        if set(values) != keys:
            missing = sorted(keys ^ set(values))
            raise ValueError(f"profile {name!r} names different settings from 'full': {missing}")
    profile = profile or active_profile()
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; choose one of {', '.join(PROFILES)}")
    chosen = dict(table[profile])
    if verbose:
        values = ", ".join(f"{k}={v}" for k, v in chosen.items())
        print(f"Profile '{profile}' (set COURSE_PROFILE to full, laptop or smoke to change): {values}")
    return SimpleNamespace(profile=profile, **chosen)
