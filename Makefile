# `make` installs dependencies and builds ./llama-sim; `make test` runs every test.
SHELL := /bin/bash
BUN := node_modules/.bin/bun
COMMIT := $(shell git rev-parse --short=8 HEAD 2>/dev/null || echo unknown)$(shell git diff --quiet HEAD 2>/dev/null || echo -dirty)
DEFINE := --define LLAMA_SIM_COMMIT='"$(COMMIT)"'
SOURCES := $(shell find src -name '*.ts') $(wildcard data/*) package.json
TARGETS := linux-x64 linux-x64-baseline linux-arm64 darwin-x64 darwin-arm64 windows-x64

.PHONY: all install build test typecheck release clean bench soak snapshots scale-test

all: build

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

install: node_modules/.installed

build: llama-sim

# src/server/worker.ts is the --threads-http worker: `new Worker` finds it inside the binary only
# when it is an entrypoint of its own (here, in release, in the Dockerfile and package.json's build).
# --bytecode embeds the compiled bytecode, so no start parses the JavaScript: ~30 ms less to the
# first /health (make bench's start-up figure). `make release` cross-compiles without it: bytecode is
# JavaScriptCore's for the building platform, and those binaries cannot be run here to check them.
llama-sim: node_modules/.installed $(SOURCES)
	$(BUN) build --compile --minify --sourcemap --bytecode --format=esm $(DEFINE) src/main.ts src/start.ts src/server/worker.ts --outfile $@

test: llama-sim
	$(BUN) test --timeout 60000

# Benchmarks against a plain Bun.serve floor and writes bench/RESULTS.md (about 10 minutes; not part of test or CI).
bench: llama-sim
	command -v perf >/dev/null || (apt-get update && apt-get install -y linux-perf) || echo 'no perf: the bench skips its CPU split'
	$(BUN) bench/run.ts

# 60 s at full load (SOAK_SECONDS=N to change) with a request mix, RSS and request-log checks (not part of test or CI).
soak: llama-sim
	command -v wrk >/dev/null || (apt-get update && apt-get install -y wrk)
	$(BUN) bench/soak.ts

# 3 replicas behind nginx (installed if missing) driven like llama-eval at 32-way concurrency, with one
# replica killed mid-run; checks scores, streams, merged ledgers and /metrics (not part of test or CI).
scale-test: llama-sim
	command -v nginx >/dev/null || test -x /usr/sbin/nginx || (apt-get update && apt-get install -y nginx)
	$(BUN) bench/scale-test.ts

# Regenerates the snapshots embedded in the binary (data/*.jsonl, data/SOURCES.md) from ../shared/datasets.
snapshots: node_modules/.installed
	$(BUN) scripts/snapshot.ts

typecheck: node_modules/.installed
	node_modules/.bin/tsc --noEmit -p .

release: node_modules/.installed $(SOURCES)
	@rm -rf dist && mkdir -p dist
	@for target in $(TARGETS); do \
	  out=dist/llama-sim-$$target; \
	  echo "building $$out"; \
	  $(BUN) build --compile --minify $(DEFINE) --target=bun-$$target src/main.ts src/start.ts src/server/worker.ts --outfile $$out || exit 1; \
	done
	cd dist && sha256sum llama-sim-* > SHA256SUMS && cat SHA256SUMS

clean:
	rm -rf llama-sim llama-sim.map worker.js.map start.js.map dist node_modules/.installed
