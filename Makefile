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

# Course data (data/README.md): local copies first, else a SHA-256-checked download into the cache
# (~/.cache/tfgan). With TFGAN_DATA_DIR set, only local copies are used: no network.
FETCH = $(if $(TFGAN_DATA_DIR),TFGAN_OFFLINE=1) $(PY) -m tfgan.data fetch

.PHONY: install data test-data train test test-fast notebooks notebooks-full notebooks-paper benchmarks lab labs grade clean

$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt $(PIP_EXTRA)
	$(PY) -m pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

data: install
	$(FETCH) --all

# What the tests and notebooks read: the MNIST test split, Fashion-MNIST, the style image.
test-data: install
	$(FETCH) mnist/test fashion_mnist starry_night

train: install
	$(FETCH) mnist
	$(PY) -m tfgan.train dcgan --dataset mnist $(ARGS)

# The whole suite: unit and CLI tests, then every notebook through nbval in smoke mode.
test: test-data
	TFGAN_SMOKE=1 TFGAN_OFFLINE=1 $(PY) -m pytest $(PYTEST_FLAGS) tests notebooks --nbval-lax

# The unit tests without the ones marked slow (pytest -m "not slow") and without the notebooks.
test-fast: test-data
	TFGAN_SMOKE=1 TFGAN_OFFLINE=1 $(PY) -m pytest $(PYTEST_FLAGS) -m "not slow" tests

# Notebooks alone (smoke mode); notebooks-full runs their laptop mode (the saved outputs' setting,
# about an hour on a 2-core CPU), notebooks-paper the paper-sized setting meant for a GPU.
notebooks: test-data
	TFGAN_SMOKE=1 TFGAN_OFFLINE=1 $(PY) -m pytest $(PYTEST_FLAGS) notebooks --nbval-lax

notebooks-full: install
	TFGAN_SMOKE=0 $(PY) -m pytest $(PYTEST_FLAGS) notebooks --nbval-lax

notebooks-paper: install
	TFGAN_SMOKE=0 TFGAN_FULL=paper $(PY) -m pytest $(PYTEST_FLAGS) notebooks --nbval-lax

benchmarks: install
	$(PY) benchmarks/train_speed.py
	$(PY) benchmarks/time_to_quality.py
	$(PY) benchmarks/style_speed.py --quality

# Labs (nbgrader, labs/README.md): `make labs` writes the student versions to labs/release/;
# `make grade` autogrades labs/submitted/<student>/<lab>/<lab>.ipynb, writes
# labs/feedback/<student>/<lab>/<lab>.html and labs/grades.csv. nbgrader needs the venv on PATH.
NBGRADER = cd labs && PATH="$(abspath $(VENV))/bin:$$PATH" $(abspath $(PY)) -m nbgrader

labs: install
	$(NBGRADER) generate_assignment "*" --force

grade: labs
	$(NBGRADER) autograde "*"
	$(NBGRADER) generate_feedback "*"
	$(NBGRADER) export --to grades.csv

# JupyterLab from .venv with a "tfgan" kernel (its spec lives in .venv, so `make clean` removes it).
# Jupyter refuses to start as root without --allow-root (containers, cloud VMs): pass it only then.
LAB_FLAGS ?= $(if $(filter 0,$(shell id -u)),--allow-root,)
lab: install
	-$(FETCH) --all
	$(PY) -m ipykernel install --sys-prefix --name tfgan --display-name "Python (tfgan)"
	$(PY) -m jupyter lab $(LAB_FLAGS)

clean:
	rm -rf $(VENV) runs .pytest_cache
