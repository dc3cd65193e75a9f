# Skiff: the two commands are `make up` (arrives with the cluster) and `make test`.
# Every target installs the Debian packages it needs first (scripts/install-deps, idempotent).
SHELL := /bin/bash
SWIFT ?= swift
RELEASE_BIN = $(shell $(SWIFT) build -c release --show-bin-path)
EXECUTABLES = busctl skiff-protogen skiff-bench skiff-store skiff-apiserver skiffctl skiff-scheduler skiff-kubelet skiff-shim skiff-controller skiff-proxy skiff-dns

.PHONY: deps build up down test e2e proto proto-check bench fuzz clean

deps:
	@scripts/install-deps

## build: release build; every executable linked into bin/
build: deps
	$(SWIFT) build -c release
	@mkdir -p bin
	@for exe in $(EXECUTABLES); do ln -sf "$(RELEASE_BIN)/$$exe" "bin/$$exe"; done
	@echo "built: $(addprefix bin/,$(EXECUTABLES))"

## up: installs what is missing, builds release, starts a one-node cluster (compose/up)
up: build
	compose/up --nodes 1

## down: stops the cluster and removes everything it made (compose/down)
down:
	compose/down

## test: generated code up to date, then every test. One process per test target: the wire
## property tests saturate the cooperative pool, which would starve the bus servers that the
## busctl end-to-end tests run in-process. A crash prints only the crashed thread's frames
## (no registers or image list), and the failing target is named last, so the tail of a CI
## log says what broke.
TEST_TARGETS = ProtoGenTests SkiffWireTests SkiffBusTests BusctlTests SkiffAPITests SkiffValidationTests \
  SkiffClientTests SkiffStoreTests SkiffAPIServerTests SkiffCtlTests SkiffSchedulerTests SkiffKubeletTests SkiffControllersTests \
  SkiffProxyTests SkiffDNSTests SkiffFuzzTests ComposeTests
test: deps proto-check
	$(SWIFT) build --build-tests
	@for target in $(TEST_TARGETS); do \
	  echo "== $$target"; \
	  SWIFT_BACKTRACE=threads=crashed,registers=none,images=none \
	    $(SWIFT) test --skip-build --filter "^$$target\." || { echo "make test: $$target failed"; exit 1; }; \
	done

## e2e: the end-to-end suite alone: real clusters under compose/ (two nodes) running the user's
## stories, and the supervised cluster's own commands. `make test` runs it too.
e2e: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --filter "^ComposeTests\."

## proto: regenerate the C and Swift code from proto/ (commit the result)
proto: deps
	scripts/proto-gen

## proto-check: fail if the committed generated code differs from what proto/ generates
proto-check: deps
	scripts/proto-check

## bench: Skiff side by side with its baselines, ratios printed (record them in docs/benchmarks.md)
bench: build
	bin/skiff-bench

## fuzz: every decoder of untrusted input under libFuzzer, FUZZ_RUNS (default 1000000) inputs
## each from Tests/SkiffFuzzTests/Corpus; fails on any crash. `make fuzz FUZZ_TARGETS=dns-query`
## runs one; results go in docs/fuzzing.md. Its core (corpus plus seeded mutations) is SkiffFuzzTests.
FUZZ_RUNS ?= 1000000
fuzz: deps
	FUZZ_RUNS=$(FUZZ_RUNS) scripts/fuzz $(FUZZ_TARGETS)

clean:
	rm -rf .build .build-fuzz bin var
