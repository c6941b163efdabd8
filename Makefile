# The course's entry points. Each target installs what it needs into .venv first.
#   make lab     set up, then open JupyterLab on notebooks/ (localhost only, with a token)
#   make test    set up, then run the unit tests and execute every notebook (nbval), then build
#                the slides and check every deck and its PDF in headless Chromium; under the smoke profile
#                unless COURSE_PROFILE names another (COURSE_PROFILE=laptop make test: thorough)
#   make slides  build one reveal.js deck per notebook into slides/, and their PDF handouts
#                (see slides/README.md)
#   make lecture presentation copies of the notebooks for RISE, in the decks' order (notebooks/lecture/)
#   make rehearse  every notebook with the full settings but a few batches (see below)
PYTHON ?= python3
NPM    ?= npm
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
NPM_STAMP := slides/node_modules/.package-lock.json

# An offline copy of Fashion-MNIST beside the checkout (as in CI) serves every target that reads
# the data (tests, notebooks, slides), as tests/conftest.py does for pytest alone; an explicit
# COURSE_DATA_DIR wins. Without either, course_utils downloads the files into its cache.
SHARED_DATA := $(abspath ../shared/data/fashion-mnist)
ifneq ($(wildcard $(SHARED_DATA)),)
export COURSE_DATA_DIR ?= $(SHARED_DATA)
endif

.PHONY: setup lab test slides lecture clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test,slides]"
	touch $(STAMP)

setup: $(STAMP)

# What the decks load (reveal.js, MathJax 2, require.js, jQuery), pinned by slides/package-lock.json.
$(NPM_STAMP): slides/package.json slides/package-lock.json
	cd slides && $(NPM) ci --no-audit --no-fund --loglevel=error
	touch $(NPM_STAMP)

# Jupyter's defaults are kept on purpose: it listens on localhost only and asks for its token.
# As root (Docker containers, many cloud machines) Jupyter refuses to start without --allow-root,
# so it is added then, and only then; the server still listens on localhost with a token.
lab: setup
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks $$([ "$$(id -u)" = 0 ] && echo --allow-root)

# Executes the notebooks under the active profile (COURSE_PROFILE; unset: full on a GPU, laptop
# otherwise). make slides NOTEBOOKS="03_lenet 07" builds some decks; REUSE=1 keeps executed copies
# in slides/build/ that are still current instead of running them again. Then prints every deck
# that was built to slides/pdf/NN_name.pdf, and their lecture paths to slides/lecture.pdf (headless
# Chromium), even when a notebook failed: make slides still exits non-zero then.
slides: setup $(NPM_STAMP)
	@status=0; \
	$(PY) slides/build.py $(NOTEBOOKS) $(if $(REUSE),--reuse) || status=$$?; \
	$(PY) slides/pdf.py $(NOTEBOOKS) || status=$$?; \
	exit $$status

# Presentation copies for RISE (slides/README.md): notebooks/lecture/NN_name.ipynb, the slides in
# the static decks' order (deep dives in an appendix), the code run in the notebook's order.
# Generated, ignored by git; make lecture NOTEBOOKS="03 09" makes some.
lecture: setup
	$(PY) slides/lecture.py $(NOTEBOOKS)

# The browser tests need built decks, so they run after the build (tests/browser/). Without npm
# (a student's machine with only Python) the slides are skipped with a note; never in CI.
# A test is what CI runs: the smoke profile, on any device (unset, the notebooks would pick full
# on a GPU and run the whole lecture twice), unless the caller names a profile.
test: export COURSE_PROFILE ?= smoke
test: setup
	@echo "make test: COURSE_PROFILE=$$COURSE_PROFILE"
	@if [ -n "$$CI" -a "$$CI" != false ] || command -v $(NPM) >/dev/null 2>&1; then $(MAKE) $(NPM_STAMP); fi
	$(PY) -m pytest tests notebooks --nbval-lax --nbval-current-env --ignore=tests/browser
	@if [ -n "$$CI" -a "$$CI" != false ] || command -v $(NPM) >/dev/null 2>&1; then \
		$(MAKE) slides && $(PY) -m pytest tests/browser; \
	else \
		echo "make test: npm not found, so the slides were not built or browser-tested (slides/README.md)"; \
	fi

# A rehearsal of the lecture without its GPU (README, tests/rehearse.py): every notebook with the
# full settings but 2 batches of at most 4 examples per pass, with the precision of a GPU class
# (default a100: bf16 autocast; REHEARSE_FLAGS="--gpu t4": Colab's T4, fp16 with loss scaling),
# channels-last on, checkpoints in a scratch folder, data on a simulated second device when there
# is no GPU. Fails on any error except an accuracy floor (listed as skipped). REHEARSE_FLAGS="03 --keep".
REHEARSE_FLAGS ?=
.PHONY: rehearse
rehearse: setup
	$(PY) tests/rehearse.py $(REHEARSE_FLAGS)

# Benchmarks against d2l 1.0.3 and a bare loop (benchmarks/README.md). Timings want a quiet machine.
#   make bench                                 benchmarks 1-4, notebooks under smoke only
#   make bench BENCH_PROFILES="smoke laptop"   also every notebook under laptop (~10 min on 2 cores)
#   make bench BENCH="1 3" BENCH_FLAGS=--quick  some benchmarks, tiny counts (checks, not figures)
#   make bench BENCH=4 BENCH_NOTEBOOKS="03_lenet 04_alexnet"   benchmark 4 on some notebooks
#   BENCH_KEEP=1 keeps the scratch folder (executed notebooks, caches) instead of deleting it
BENCH          ?= 1 2 3 4
BENCH_PROFILES ?= smoke
BENCH_NOTEBOOKS ?=
BENCH_FLAGS    ?=
BENCH_STAMP    := $(VENV)/.bench-installed

$(BENCH_STAMP): $(STAMP)
	$(PY) -m pip install --quiet --no-deps d2l==1.0.3 pandas requests scipy
	$(PY) -c "import d2l.torch"
	touch $(BENCH_STAMP)

.PHONY: bench
bench: $(BENCH_STAMP)
	@set -e; \
	scratch=$$(mktemp -d -t course-bench-XXXXXX); \
	export BENCH_SCRATCH="$$scratch" COURSE_CACHE_DIR="$$scratch/course_cache"; \
	export COURSE_DATA_DIR="$${COURSE_DATA_DIR:-$(CURDIR)/../shared/data/fashion-mnist}"; \
	for b in $(BENCH); do \
	  case $$b in \
	    1) $(PY) benchmarks/bench1_lenet_epoch.py $(BENCH_FLAGS);; \
	    2) $(PY) benchmarks/bench2_input_pipeline.py $(BENCH_FLAGS);; \
	    3) $(PY) benchmarks/bench3_architectures.py $(BENCH_FLAGS);; \
	    4) $(PY) benchmarks/bench4_notebooks.py --profiles $(BENCH_PROFILES) \
	         $(if $(BENCH_NOTEBOOKS),--notebooks $(BENCH_NOTEBOOKS)) $(BENCH_FLAGS);; \
	    *) echo "BENCH: unknown benchmark $$b (choose from 1 2 3 4)"; exit 2;; \
	  esac; \
	done; \
	$(PY) benchmarks/report.py; \
	if [ -n "$(BENCH_KEEP)" ]; then echo "kept the scratch folder $$scratch"; else rm -rf "$$scratch"; fi

clean:
	rm -rf $(VENV) .pytest_cache
	rm -rf slides/node_modules slides/assets slides/build slides/screenshots slides/*.slides.html slides/index.html
	rm -rf slides/pdf slides/lecture.pdf notebooks/lecture
