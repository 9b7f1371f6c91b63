# Palmtop: `make run` sets everything up and opens the REPL; `make test` runs the whole suite.
SWIFT ?= swift
PYTHON ?= python3
BIN := .build/release/palmtop
TEST_DATA := .build/test-data
APT_PACKAGES := libncurses-dev tmux
# numpy and gguf make the synthetic test models; xllamacpp is llama.cpp's server, which the remote-backend tests run.
PIP_PACKAGES := numpy gguf xllamacpp

.PHONY: run test deps build models bigbench test-data clean install test-install soak test-kernels test-arm64

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

# BIG-bench's JSON tasks (358 MB via pip, 1.6 GB unpacked; never in the repository). Only when pip
# cannot fetch the package do the real-task tests get skipped (they say so); any other failure stops here.
bigbench: build
	@log=$$(mktemp); { $(BIN) pull bigbench 2>&1; echo $$? >$$log.rc; } | tee $$log; rc=$$(cat $$log.rc); \
	offline=$$(grep -c "pip could not download" $$log); rm -f $$log $$log.rc; \
	if [ "$$rc" != 0 ] && [ "$$offline" != 0 ]; then echo "BIG-bench could not be fetched with pip (offline?): the real BIG-bench task tests will be skipped"; \
	elif [ "$$rc" != 0 ]; then exit 1; fi

# Generated test inputs: small synthetic GGUF files (never committed) from the scripts in scripts/.
test-data:
	@$(PYTHON) -c "import numpy, gguf, xllamacpp" 2>/dev/null || $(PYTHON) -m pip install --quiet --disable-pip-version-check $(PIP_PACKAGES) \
	  || $(PYTHON) -m pip install --quiet --disable-pip-version-check --break-system-packages $(PIP_PACKAGES)
	@mkdir -p $(TEST_DATA)/bad
	$(PYTHON) scripts/make_synthetic_quant.py $(TEST_DATA)/synthetic.gguf $(TEST_DATA)/synthetic.json >/dev/null
	$(PYTHON) scripts/make_bad_gguf.py $(TEST_DATA)/bad >/dev/null
	$(PYTHON) scripts/make_palm_model.py $(TEST_DATA)/palm-tiny.gguf $(TEST_DATA)/palm-tiny.json >/dev/null

# The binary and the shipped prompts (read-only templates; users' own prompts live in
# ${XDG_DATA_HOME:-~/.local/share}/palmtop/prompts). `palmtop` finds them from ../share/palmtop/prompts.
PREFIX ?= /usr/local
install: build
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/palmtop/prompts
	install -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/palmtop
	install -m 0444 prompts/*.yaml prompts/*.jsonl prompts/README.md $(DESTDIR)$(PREFIX)/share/palmtop/prompts/

test-install: build models
	scripts/test_install.sh

test: test-kernels test-arm64 deps build models bigbench test-data test-install
	$(SWIFT) test -c release --disable-testable-imports

# 10,000 chat turns through the session API; prints the resident-memory figures (minutes, not in `test`).
soak: build models
	PALMTOP_SOAK_TURNS=$${PALMTOP_SOAK_TURNS:-10000} $(SWIFT) test -c release --disable-testable-imports --filter SoakTests

# The C kernels on every path this CPU offers, against the portable reference (Tests/CKernels;
# plain C, no Swift needed).
KERNEL_CHECK := Tests/CKernels/kernel_check.c $(wildcard Sources/CKernels/*.c)
test-kernels:
	@mkdir -p .build/kernel-check
	$(CC) -O2 -Wall $(KERNEL_CHECK) -ISources/CKernels/include -lm -o .build/kernel-check/native
	.build/kernel-check/native

# The same check cross-compiled for arm64 and run under qemu twice: `-cpu max` has BF16 (the NEON-BF16
# path), a Cortex-A72 has not (the NEON path). Installs the cross compiler and qemu when missing.
test-arm64:
	@missing=""; command -v aarch64-linux-gnu-gcc >/dev/null || missing="gcc-aarch64-linux-gnu libc6-dev-arm64-cross"; \
	command -v qemu-aarch64-static >/dev/null || command -v qemu-aarch64 >/dev/null || missing="$$missing qemu-user-static"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" != 0 ]; then echo "Missing packages:$$missing"; echo "Install them with: sudo apt-get install$$missing"; exit 1; fi; \
	  apt_install() { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$$@" || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$$@"; }; }; \
	  apt_install $$missing || apt_install $$(echo $$missing | sed 's/qemu-user-static/qemu-user/'); \
	fi
	@mkdir -p .build/kernel-check
	aarch64-linux-gnu-gcc -O2 -static -Wall $(KERNEL_CHECK) -ISources/CKernels/include -lm -o .build/kernel-check/arm64
	@qemu=$$(command -v qemu-aarch64-static || command -v qemu-aarch64); \
	echo "$$qemu -cpu max"; $$qemu -cpu max .build/kernel-check/arm64 && \
	echo "$$qemu -cpu cortex-a72"; $$qemu -cpu cortex-a72 .build/kernel-check/arm64

clean:
	rm -rf .build
