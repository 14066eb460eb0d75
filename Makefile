# gradbench — see README.md.
GO      ?= go
QUICK   ?=
BIN       = .bin/gradbench
GRADBENCH = $(BIN)
# The CI regression suites (experiments/<name>.toml) and their baselines
# (results/baseline/<name>/).
REGRESSION = regression regression-discrete

.PHONY: all test unit lint bench fuzz reproduce paper baseline regress clean $(BIN)

all: test

## test: everything CI runs: gofmt and vet, unit and conformance tests, and
## the variance regression check against results/baseline.
test: lint unit regress

$(BIN):
	$(GO) build -o $(BIN) ./cmd/gradbench

## regress: run the regression suites and compare them with the baseline.
regress: $(BIN)
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	for s in $(REGRESSION); do \
	  $(GRADBENCH) run -q -o "$$tmp/$$s" experiments/$$s.toml || exit 2; \
	  echo "== gradbench check -baseline results/baseline/$$s ($$s)"; \
	  $(GRADBENCH) check -baseline results/baseline/$$s "$$tmp/$$s" || exit 1; \
	done

## baseline: rewrite results/baseline from fresh runs of the regression
## suites, for changes meant to alter the numbers (see README.md).
baseline: $(BIN)
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	for s in $(REGRESSION); do \
	  $(GRADBENCH) run -q -o "$$tmp/$$s" experiments/$$s.toml || exit 2; \
	  $(GRADBENCH) check -update -baseline results/baseline/$$s "$$tmp/$$s" || exit 1; \
	done

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

unit:
	$(GO) test -count=1 ./...

## bench: ns/sample of every estimator beside a hand-written loop.
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./estimators/...

## fuzz: fuzz the spec parser (not run in CI).
fuzz:
	$(GO) test -run '^$$' -fuzz FuzzParse -fuzztime 60s ./experiments/spec

clean:
	rm -rf paper/build .bin
