# Palmtop: `make run` sets everything up and opens the REPL; `make test` runs the whole suite.
SWIFT ?= swift
PYTHON ?= python3
BIN := .build/release/palmtop
TEST_DATA := .build/test-data
APT_PACKAGES := libncurses-dev tmux
# numpy and gguf make the synthetic test models; xllamacpp is llama.cpp's server, which the remote-backend tests run.
PIP_PACKAGES := numpy gguf xllamacpp

.PHONY: run test deps build models bigbench test-data clean install test-install soak test-kernels test-arm64 \
        fuzz fuzz-ci fuzz-build fuzz-seeds sanitize

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

test: test-kernels test-arm64 deps build models bigbench test-data test-install fuzz-ci
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

# libFuzzer targets for the GGUF reader, the prompt-file loader and the dev-set reader (Sources/Fuzz*),
# built with the fuzzer and AddressSanitizer into their own build folder so `make build` is untouched.
# They link with the toolchain's lld through a SwiftPM toolset file (ld.gold stops with an internal error
# on the instrumented objects); the fuzzer and sanitizer runtimes come with the Swift toolchain.
# `make fuzz` runs each for FUZZ_SECONDS; `make fuzz-ci` (part of `test`) for 60 s. The corpus grows in
# .build/fuzz-corpus between runs; a crash stops the run and leaves its input in .build/fuzz/crashes.
FUZZ_SECONDS ?= 600
FUZZ_TARGETS := FuzzGGUF FuzzPromptFile FuzzDevSet
FUZZ_BUILD := .build/fuzz
FUZZ_SEEDS := .build/fuzz-seeds
FUZZ_CORPUS := .build/fuzz-corpus
FUZZ_TOOLSET := $(FUZZ_BUILD)/toolset.json
FUZZ_SWIFT_FLAGS := -c release --build-path $(FUZZ_BUILD) --toolset $(CURDIR)/$(FUZZ_TOOLSET) \
  -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING -Xcc -fsanitize=fuzzer-no-link,address

fuzz-build:
	@command -v $(SWIFT) >/dev/null || { echo "Swift 6 is required (swift not on PATH)"; exit 1; }
	@lld="$$(dirname "$$(readlink -f "$$(command -v $(SWIFT))")")/ld.lld"; \
	[ -x "$$lld" ] || lld="$$(command -v ld.lld)"; \
	if [ -z "$$lld" ] && [ "$$(id -u)" = 0 ]; then \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq lld; } >/dev/null && lld="$$(command -v ld.lld)"; fi; \
	[ -n "$$lld" ] || { echo "ld.lld is not beside swift nor on PATH; install it with: sudo apt-get install lld"; exit 1; }; \
	mkdir -p $(FUZZ_BUILD); printf '{"schemaVersion": "1.0", "linker": {"path": "%s"}}\n' "$$lld" > $(FUZZ_TOOLSET)
	for t in $(FUZZ_TARGETS); do $(SWIFT) build $(FUZZ_SWIFT_FLAGS) --product $$t || exit 1; done

fuzz-seeds: test-data
	rm -rf $(FUZZ_SEEDS)
	$(PYTHON) scripts/make_fuzz_seeds.py $(FUZZ_SEEDS) $(TEST_DATA)/synthetic.gguf

# FUZZ_FLAGS adds libFuzzer options (e.g. FUZZ_FLAGS=-runs=1000000); scripts/fuzz.sh says what it prints.
FUZZ_FLAGS ?=
fuzz: fuzz-build fuzz-seeds
	scripts/fuzz.sh $(FUZZ_SECONDS) serial $(FUZZ_TARGETS) -- $(FUZZ_FLAGS)

# The three targets side by side for 60 s of wall time (about 70 s with the build done; part of `test`).
fuzz-ci: fuzz-build fuzz-seeds
	scripts/fuzz.sh 60 parallel $(FUZZ_TARGETS) -- $(FUZZ_FLAGS)

# The unit tests (tokenizers, sampling, engine, prompts: the readers, loaders, kernels and sessions on
# the default models) under AddressSanitizer (`swift test --sanitize=address`), then with the C kernels
# built with UndefinedBehaviorSanitizer in trap mode (swiftc has no -sanitize=undefined on Linux, and Swift
# code checks overflow and bounds in every build anyway; trap mode needs no runtime library: undefined
# behaviour stops the test process with SIGILL at the offending instruction). Each in its own build
# folder. SANITIZE_FILTER= (empty) runs the whole suite instead; the CLI and REPL tests then drive a
# palmtop binary built the same way. Not part of `test`: two more full builds of the package (README
# "Fuzzing and sanitizers" says how long). Leak checks are off, as for the fuzzers.
SANITIZERS := address undefined
SANITIZE_FILTER ?= ^(PalmtopTokenizersTests|PalmtopSamplingTests|PalmtopEngineTests|PalmtopPromptsTests)\.
sanitize_flags_address := --sanitize=address
sanitize_flags_undefined := -Xcc -fsanitize=undefined -Xcc -fsanitize-trap=undefined
sanitize: deps models test-data
	for s in $(SANITIZERS); do \
	  case $$s in address) flags="$(sanitize_flags_address)";; undefined) flags="$(sanitize_flags_undefined)";; \
	    *) echo "unknown sanitizer $$s (address, undefined)"; exit 1;; esac; \
	  if [ -z "$(SANITIZE_FILTER)" ]; then \
	    $(SWIFT) build -c release $$flags --build-path .build/sanitize-$$s --product palmtop || exit 1; fi; \
	  ASAN_OPTIONS=detect_leaks=0 PALMTOP_BIN=$(CURDIR)/.build/sanitize-$$s/release/palmtop \
	    $(SWIFT) test -c release --disable-testable-imports $$flags --build-path .build/sanitize-$$s \
	      $(if $(SANITIZE_FILTER),--filter '$(SANITIZE_FILTER)') || exit 1; done

clean:
	rm -rf .build
