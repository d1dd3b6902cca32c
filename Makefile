# The two commands a newcomer needs:  make demo   and   make test
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TEXTEMB_CACHE ?= $(CURDIR)/.cache/textemb

.PHONY: setup demo test test-fast bench clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c constraints.txt torch==2.13.0
	$(PY) -m pip install -q -c constraints.txt -e ".[all,dev]"
	touch $@

# the main job on the built-in default models: analogies + report on GloVe, semantic search with MiniLM
demo: setup
	mkdir -p out
	$(VENV)/bin/textemb models
	$(VENV)/bin/textemb analogy man king woman --encoder glove-6b-50d
	$(VENV)/bin/textemb eval analogy --encoder glove-6b-50d --report out/analogy-report.html
	$(VENV)/bin/textemb eval similarity --dataset wordsim353 --encoder glove-6b-50d
	$(VENV)/bin/textemb index corpora/wikipedia-sample -o out/wiki.idx --encoder all-MiniLM-L6-v2
	$(VENV)/bin/textemb search "a nocturnal African burrowing mammal that eats termites" --index out/wiki.idx -k 3
	@echo "open out/analogy-report.html for the report with plots"

test: setup
	$(PY) -m pytest -m "slow or not slow" -q

test-fast: setup
	$(PY) -m pytest -m "not slow" -q

bench: setup
	$(PY) bench/run_all.py $(BENCH)

clean:
	rm -rf $(VENV) .cache .pytest_cache out
