# rostercheck: the two commands a fresh clone needs are `make demo` and `make test`.
GO      ?= go
BIN     := bin/rostercheck
OUT     ?= rostercheck-report
PKGS    := ./...
# The version stamped into the binary: the git tag or revision of the checkout.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X github.com/rostercheck/rostercheck/runner.version=$(VERSION)

.PHONY: all build demo test vet fmt-check bench fuzz clean

all: build

build:
	$(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/rostercheck

# The main job: the built-in reference provider (it serves OneRoster 1.1 and
# 1.2), every profile of both versions in one run, all reports.
demo: build
	./$(BIN) run --profile oneroster-1.1,oneroster-1.2,oneroster-1.2-core,sds,sds-classic,gradesync,datasync,asm,google-classroom --allow-writes --out $(OUT)
	@echo "open $(OUT)/report.html (JUnit: $(OUT)/junit.xml, JSON: $(OUT)/results.json, badges: $(OUT)/badge-*.svg)"

# All tests: formatting, vet, unit tests, and the self-test that runs the
# harness against the clean provider and once per provider defect.
test: fmt-check vet
	$(GO) test -count=1 -timeout 45m $(PKGS)

vet:
	$(GO) vet $(PKGS)

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

# Speed and memory figures (never asserted in tests).
bench:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 1x ./fixtures/district/
	$(GO) test -run '^$$' -bench . -benchmem ./fixtures/provider/ ./fixtures/provider/query/ ./schemas/
	$(GO) test -run '^$$' -bench FullRunMedium -benchmem -benchtime 3x ./runner/
	# The table of what users feel, each figure with its target: harness vs
	# a plain concurrent reader (sds@5000 and oneroster-1.1@100, 0 and 50 ms
	# added per request; sds@5000 on the large district), requests,
	# duplicate GETs, requests in flight, peak RSS of the harness and of
	# serve --size large, validation records/s (ROSTERCHECK_BENCH_SIZES=medium
	# for a shorter run). Schema validation alone, compiled vs reference:
	# the ./schemas/ line above (BenchmarkValidateCollectionUsers vs
	# BenchmarkValidateReferenceUsers).
	$(GO) test -run '^$$' -bench Table -benchtime 1x -timeout 90m ./runner/

# Fuzz the provider's filter parser (go test -fuzz runs one target at a time).
fuzz:
	$(GO) test -run '^$$' -fuzz FuzzParseFilter -fuzztime 60s ./fixtures/provider/query/
	$(GO) test -run '^$$' -fuzz FuzzParse -fuzztime 60s ./fixtures/provider/query/

clean:
	rm -rf bin $(OUT)
