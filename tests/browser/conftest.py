"""Headless Chromium for the deck tests, driven by Playwright (see slides_support for the flags).

Chromium is Debian's `chromium` package (Playwright never downloads a browser here). Where it or
the playwright package is missing, the browser tests skip with the reason, except in CI (CI=true),
where they fail: CI must run them.
"""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: slides_support

from slides_support import CHROMIUM_ARGS, find_chromium, unavailable  # noqa: E402


@pytest.fixture(scope="session")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("the playwright package is missing (make setup installs the 'slides' extra)")
    executable = find_chromium()
    if executable is None:
        unavailable("no Chromium found: install Debian's or Ubuntu's `chromium` package "
                    "(or set CHROMIUM=/path/to/chromium)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
