# gradbench — see README.md.
GO      ?= go
QUICK   ?=
GRADBENCH = $(GO) run ./cmd/gradbench

.PHONY: all test unit lint bench fuzz reproduce paper baseline clean

all: test

## test: everything CI runs: gofmt and vet, unit and conformance tests.
test: lint unit

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
	rm -rf paper/build
