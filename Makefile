# The two commands a newcomer needs:  make demo   and   make test
PYTHON ?= python3
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
VENV ?= .venv
PY := $(VENV)/bin/python
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
# no TEXTEMB_CACHE here: the demo's cache (GloVe's parsed copy, ONNX exports) is the one the user's own shell
# finds afterwards (~/.cache/textemb, or $$TEXTEMB_CACHE when the user sets it); 'textemb cache info' lists it

.PHONY: setup demo test test-fast lint bench clean browser serve

# setup needs no root and no system package: a virtual environment in .venv, from PyPI
# TICK: a line every 15 s while pip works silently (unpacking torch, installing 100+ packages), stopped with the step
TICK = bash -c 'while sleep 15; do echo "setup: pip is still working ($$SECONDS s)"; done' & tick=$$!; trap "kill $$tick 2>/dev/null" EXIT;
setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml constraints.txt
	@echo "setup: a virtual environment in $(VENV) (about 4 minutes on 2 cores: torch's CPU build, then the extras)"
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	@echo "setup: torch 2.13.0, CPU build (about 700 MB unpacked; up to a minute)"
	$(TICK) $(PY) -m pip install --progress-bar off -c constraints.txt torch==2.13.0 | { grep --line-buffered -v '^Requirement already' || true; }
	@echo "setup: textemb and its extras (about 2-3 minutes; pip names each package as it goes)"
	$(TICK) $(PY) -m pip install --progress-bar off -c constraints.txt -e ".[all,dev]" | { grep --line-buffered -E '^(Collecting|Installing|Successfully)' || true; }
	$(PY) -c "import textemb, torch, sentence_transformers"
	touch $@

# the main job on the built-in default models: analogies + report on GloVe, semantic search with MiniLM.
# MiniLM runs on ONNX Runtime, int8: the fastest path whose nDCG@10 on the shipped sample equals fp32's
# (0.984, bench/results/fast_paths_quality.md); DEMO_ENCODER=all-MiniLM-L6-v2 for PyTorch
DEMO_ENCODER ?= all-MiniLM-L6-v2?backend=onnx&quantize=int8
demo: setup
	mkdir -p out
	$(VENV)/bin/textemb models
	$(VENV)/bin/textemb analogy man king woman --encoder glove-6b-50d
	$(VENV)/bin/textemb eval analogy --encoder glove-6b-50d --report out/analogy-report.html
	$(VENV)/bin/textemb eval similarity --dataset wordsim353 --encoder glove-6b-50d
	$(VENV)/bin/textemb index corpora/wikipedia-sample -o out/wiki.idx --encoder "$(DEMO_ENCODER)"
	$(VENV)/bin/textemb search "a nocturnal African burrowing mammal that eats termites" --index out/wiki.idx -k 3
	@echo "open out/analogy-report.html for the report with plots"

test: setup lint browser
	$(PY) -m pytest -m "slow or not slow" -q

test-fast: setup lint
	$(PY) -m pytest -m "not slow" -q

# ruff (pyflakes, pycodestyle, imports, bugbear, complexity, docstrings) and mypy on the public API (pyproject.toml)
lint: setup
	$(PY) -m ruff check textemb cli tests bench
	$(PY) -m mypy

# a real headless browser for tests/test_serve_browser.py only (make test; never make demo): Debian's chromium +
# chromium-driver through apt-get, as root or through sudo WITHOUT a password prompt (sudo -n); anywhere else
# (no apt-get, no root, a password needed) it says so and the browser test skips with that reason
browser:
	@if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then echo "chromium: $$(/usr/bin/chromium --version 2>/dev/null)"; \
	elif ! command -v apt-get >/dev/null; then echo "browser: no apt-get here; tests/test_serve_browser.py will skip"; \
	else if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO="sudo -n"; fi; \
	  { $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-upgrade chromium chromium-driver >/dev/null; } \
	  || echo "browser: could not install chromium without a password; tests/test_serve_browser.py will skip"; fi

# serve the demo index (built by 'make demo') on http://127.0.0.1:8000/ with GloVe for the words tab
serve: setup
	test -f out/wiki.idx/manifest.json || $(VENV)/bin/textemb index corpora/wikipedia-sample -o out/wiki.idx --encoder "$(DEMO_ENCODER)"
	$(VENV)/bin/textemb serve --index out/wiki.idx --words glove-6b-50d

bench: setup
	$(PY) bench/run_all.py $(BENCH)

clean:
	rm -rf $(VENV) .cache .pytest_cache out
