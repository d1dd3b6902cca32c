# The two commands a newcomer needs:  make demo   and   make test
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TEXTEMB_CACHE ?= $(CURDIR)/.cache/textemb

.PHONY: setup demo test test-fast lint bench clean browser serve

setup: $(VENV)/.installed browser

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c constraints.txt torch==2.13.0
	$(PY) -m pip install -q -c constraints.txt -e ".[all,dev]"
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

test: setup lint
	$(PY) -m pytest -m "slow or not slow" -q

test-fast: setup lint
	$(PY) -m pytest -m "not slow" -q

# ruff (pyflakes, pycodestyle, imports, bugbear, complexity, docstrings) and mypy on the public API (pyproject.toml)
lint: setup
	$(PY) -m ruff check textemb cli tests bench
	$(PY) -m mypy

# a real headless browser for tests/test_serve_browser.py: Debian's chromium + chromium-driver (apt-get, as root
# or through sudo); does nothing when both are already there
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
browser:
	@if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then echo "chromium: $$(/usr/bin/chromium --version 2>/dev/null)"; \
	else $(SUDO) apt-get update && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y chromium chromium-driver; fi

# serve the demo index (built by 'make demo') on http://127.0.0.1:8000/ with GloVe for the words tab
serve: setup
	test -f out/wiki.idx/manifest.json || $(VENV)/bin/textemb index corpora/wikipedia-sample -o out/wiki.idx --encoder "$(DEMO_ENCODER)"
	$(VENV)/bin/textemb serve --index out/wiki.idx --words glove-6b-50d

bench: setup
	$(PY) bench/run_all.py $(BENCH)

clean:
	rm -rf $(VENV) .cache .pytest_cache out
