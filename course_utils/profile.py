"""One switch for how big every experiment is: the ``COURSE_PROFILE`` variable.

* ``full``   -- the lecture's real settings; meant for a CUDA GPU (the default there).
* ``laptop`` -- every notebook in a few minutes on a CPU, with honest accuracy (the default on
  a CPU and on a MacBook's Apple GPU).
* ``smoke``  -- seconds per notebook; what CI runs.

A notebook states its settings once, for all three profiles, and reads them here::

    cfg = course_utils.settings(
        full=dict(epochs=10, lr=0.9, batch_size=256),
        laptop=dict(epochs=3, lr=0.9, batch_size=256),
        smoke=dict(epochs=1, lr=0.9, batch_size=256),
    )
    cfg.epochs  # the active profile's value

A *rehearsal* (``COURSE_REHEARSAL``, set by ``make rehearse``) runs a profile's settings but
only a few small batches per pass over the data: every code path of the lecture, in minutes.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from types import SimpleNamespace

import torch

PROFILES = ("full", "laptop", "smoke")


@dataclass(frozen=True)
class Rehearsal:
    """How much of each pass over the data a rehearsal runs.

    batches:    batches per pass over any DeviceLoader (training and test), and per epoch in fit.
    batch_size: fit and evaluate_accuracy use at most this many examples of each batch (None:
                all), and so does a pass over a shuffled (training) DeviceLoader; what a notebook
                takes from an unshuffled (test) loader keeps the notebook's batch size.
    """
    batches: int
    batch_size: int | None = None


def rehearsal() -> Rehearsal | None:
    """The limits named by ``COURSE_REHEARSAL``, or None outside a rehearsal.

    ``COURSE_REHEARSAL=2`` runs 2 batches per pass; ``2x8`` 2 batches of at most 8 examples.
    Under a rehearsal ``fit`` also switches on what a GPU runs, bf16 autocast and channels-last,
    unless told otherwise (see tests/rehearse.py).
    """
    value = os.environ.get("COURSE_REHEARSAL", "").strip().lower()
    if not value:
        return None
    match = re.fullmatch(r"([1-9][0-9]*)(?:x([1-9][0-9]*))?", value)
    if match is None:
        raise ValueError(f"COURSE_REHEARSAL={value!r} should be a number of batches per pass, e.g. 2, "
                         "or batches x batch size, e.g. 2x8 (or unset it outside a rehearsal).")
    return Rehearsal(int(match[1]), int(match[2]) if match[2] else None)


def default_profile() -> str:
    """``full`` on a CUDA GPU, ``laptop`` on anything else: a MacBook's Apple GPU is a laptop's budget.

    (A rehearsal does not change the default; ``make rehearse`` names ``full`` itself.)
    """
    return "full" if torch.cuda.is_available() else "laptop"


def active_profile() -> str:
    """The profile named by ``COURSE_PROFILE``; by default ``full`` on CUDA, else ``laptop``."""
    name = os.environ.get("COURSE_PROFILE", "").strip().lower()
    if not name:
        return default_profile()
    if name not in PROFILES:
        raise ValueError(
            f"COURSE_PROFILE={name!r} is not a profile; choose one of {', '.join(PROFILES)} "
            "(or unset it to pick full on a CUDA GPU and laptop otherwise)."
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
        limits = rehearsal()
        if limits is not None:
            size = f" of at most {limits.batch_size} examples" if limits.batch_size else ""
            print(f"Rehearsal (COURSE_REHEARSAL): {limits.batches} batch(es){size} per pass over the data; "
                  "accuracies mean nothing.")
    return SimpleNamespace(profile=profile, **chosen)
