# Palmtop: `make run` sets everything up and opens the REPL; `make test` runs the whole suite.
SWIFT ?= swift
PYTHON ?= python3
BIN := .build/release/palmtop
TEST_DATA := .build/test-data
APT_PACKAGES := libncurses-dev tmux
PIP_PACKAGES := numpy gguf

.PHONY: run test deps build models test-data clean install test-install soak

run: deps build models
	$(BIN)

# System packages: installed when we are root, otherwise we say exactly what is missing.
deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	$(PYTHON) -m pip --version >/dev/null 2>&1 || missing="$$missing python3-pip"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else echo "Missing system packages:$$missing"; echo "Install them with: sudo apt-get install$$missing"; exit 1; fi; \
	fi
	@command -v $(SWIFT) >/dev/null || { echo "Swift 6 is required (swift not on PATH)"; exit 1; }

build:
	$(SWIFT) build -c release --product palmtop

# The default models (a model already in the store is not fetched again).
models: build
	$(BIN) pull

# Generated test inputs: small synthetic GGUF files (never committed) from the scripts in scripts/.
test-data:
	@$(PYTHON) -c "import numpy, gguf" 2>/dev/null || $(PYTHON) -m pip install --quiet --disable-pip-version-check $(PIP_PACKAGES) \
	  || $(PYTHON) -m pip install --quiet --disable-pip-version-check --break-system-packages $(PIP_PACKAGES)
	@mkdir -p $(TEST_DATA)/bad
	$(PYTHON) scripts/make_synthetic_quant.py $(TEST_DATA)/synthetic.gguf $(TEST_DATA)/synthetic.json >/dev/null
	$(PYTHON) scripts/make_bad_gguf.py $(TEST_DATA)/bad >/dev/null
	$(PYTHON) scripts/make_palm_model.py $(TEST_DATA)/palm-tiny.gguf $(TEST_DATA)/palm-tiny.json >/dev/null

# The binary and the shipped prompts (read-only templates; users' own prompts live in
# $${XDG_DATA_HOME:-~/.local/share}/palmtop/prompts). `palmtop` finds them from ../share/palmtop/prompts.
PREFIX ?= /usr/local
install: build
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/palmtop/prompts
	install -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/palmtop
	install -m 0444 prompts/*.yaml prompts/*.jsonl prompts/README.md $(DESTDIR)$(PREFIX)/share/palmtop/prompts/

test-install: build models
	scripts/test_install.sh

test: deps build models test-data test-install
	$(SWIFT) test -c release

# 10,000 chat turns through the session API; prints the resident-memory figures (minutes, not in `test`).
soak: build models
	PALMTOP_SOAK_TURNS=$${PALMTOP_SOAK_TURNS:-10000} $(SWIFT) test -c release --filter SoakTests

clean:
	rm -rf .build
