# The course's entry points. Each target installs what it needs into .venv first.
#   make lab     set up, then open JupyterLab on notebooks/ (localhost only, with a token)
#   make test    set up, then run the unit tests and execute every notebook (nbval)
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: setup lab test clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

setup: $(STAMP)

# Jupyter's defaults are kept on purpose: it listens on localhost only and asks for its token.
lab: setup
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks

test: setup
	$(PY) -m pytest tests notebooks --nbval-lax --nbval-current-env

clean:
	rm -rf $(VENV) .pytest_cache
