# Two commands on a fresh machine: `make train` and `make test`. Each creates .venv when missing
# and installs the pinned requirements (again only when requirements.txt or pyproject.toml change).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.tfgan-installed
# Extra pip requirements, e.g. PIP_EXTRA="tensorflow[and-cuda]==2.21.0" on a GPU machine.
PIP_EXTRA ?=
# Extra flags for `make train`, e.g. ARGS="--epochs 10".
ARGS ?=
PYTEST_FLAGS ?= -q

.PHONY: install train test test-fast notebooks notebooks-full benchmarks clean

$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt $(PIP_EXTRA)
	$(PY) -m pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

train: install
	$(PY) -m tfgan.train dcgan --dataset mnist $(ARGS)

# The whole suite: unit and CLI tests, then every notebook through nbval in smoke mode.
test: install
	TFGAN_SMOKE=1 TFGAN_OFFLINE=1 $(PY) -m pytest $(PYTEST_FLAGS) tests notebooks --nbval-lax

# The unit tests without the ones marked slow (pytest -m "not slow") and without the notebooks.
test-fast: install
	TFGAN_SMOKE=1 TFGAN_OFFLINE=1 $(PY) -m pytest $(PYTEST_FLAGS) -m "not slow" tests

# Notebooks alone; notebooks-full runs them with the full step counts (GPU runner).
notebooks: install
	TFGAN_SMOKE=1 TFGAN_OFFLINE=1 $(PY) -m pytest $(PYTEST_FLAGS) notebooks --nbval-lax

notebooks-full: install
	TFGAN_SMOKE=0 $(PY) -m pytest $(PYTEST_FLAGS) notebooks --nbval-lax

benchmarks: install
	$(PY) benchmarks/train_speed.py
	$(PY) benchmarks/time_to_quality.py
	$(PY) benchmarks/style_speed.py --quality

clean:
	rm -rf $(VENV) runs .pytest_cache
