# Neuron Atlas. `make atlas` and `make test` do all set-up on a fresh machine.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip install -q --disable-pip-version-check
ARGS   ?=

.PHONY: help venv atlas claims published universality train site test lint bench serve deploy browser clean

help:  ## list the targets
	@grep -E '^[a-z]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

venv: $(VENV)/.installed  ## create the virtual environment with the pinned dependencies

$(VENV)/.installed: requirements.txt requirements-nodeps.txt constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP) -r requirements.txt -c constraints.txt
	# torch-lucent pins kornia<=0.4.1, which cannot build on current torch: see requirements-nodeps.txt
	$(PIP) --no-deps -r requirements-nodeps.txt
	touch $@

atlas: venv  ## compute the default atlas and build the site into site/ (ARGS="--config my.yaml" etc.)
	$(PY) -m generate atlas $(ARGS)

published: venv  ## the replication atlas (configs/published.yaml): InceptionV1 early vision, every unit, and Lite0
	$(PY) -m generate atlas --config configs/published.yaml $(ARGS)

train: venv  ## train the project's CIFAR-10 CNNs (configs/cifar.yaml) into store/trained, reused when present
	$(PY) -m generate train $(ARGS)

claims: venv  ## the claims atlas (configs/claims.yaml): every unit of Lite0 blocks.6-10.dw, the early-layer survey
	$(PY) -m generate atlas --config configs/claims.yaml $(ARGS)

universality: venv  ## the universality atlas (configs/universality.yaml): 3 ImageNet + 3 CIFAR-10 models, variations
	$(PY) -m generate train || echo "note: CIFAR-10 models not trained; the universality atlas skips them"
	$(PY) -m generate atlas --config configs/universality.yaml $(ARGS)

site: venv  ## re-render pages from the store and rebuild the site, no compute
	$(PY) -m generate site $(ARGS)

test: venv browser  ## run the test suite
	$(PY) -m pytest -q tests

lint: venv  ## lint the Pages workflow with actionlint (pinned in requirements-lint.txt; needs github.com once)
	$(PIP) -r requirements-lint.txt -c constraints.txt
	$(PY) -m pytest -q tests/test_workflow.py

browser:  ## install Debian's chromium for the browser tests, where apt-get can (else they skip)
	@command -v chromium >/dev/null 2>&1 || { \
	  if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	    echo "installing Debian's chromium for the browser tests..."; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || echo "note: chromium could not be installed; the browser tests will be skipped"; \
	  else echo "note: no chromium and no root apt-get; the browser tests will be skipped"; fi; }

bench: venv  ## benchmark batched stages against plain lucent / plain forward passes
	$(PY) -m generate bench $(ARGS)

serve: venv  ## serve the built atlas at http://127.0.0.1:8000
	@test -f site_src/index.md || { echo "no atlas yet: run 'make atlas' first"; exit 1; }
	$(PY) -m mkdocs serve -a 127.0.0.1:8000

deploy: venv  ## publish the built site to GitHub Pages (branch gh-pages); SITE_URL=https://USER.github.io/REPO/
	$(PY) -m generate site $(if $(SITE_URL),--site-url $(SITE_URL)) $(ARGS)
	$(PY) -m ghp_import --no-jekyll --push --force --message "Publish Neuron Atlas" site

clean:  ## remove the built site and generated pages (keeps the store)
	rm -rf site
	git clean -fdXq site_src
