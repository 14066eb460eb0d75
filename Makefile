# gradbench — see README.md.
GO      ?= go
QUICK   ?=
BIN       = .bin/gradbench
GRADBENCH = $(BIN)
# The CI regression suites (experiments/<name>.toml) and their baselines
# (results/baseline/<name>/).
REGRESSION = regression regression-discrete

.PHONY: all test unit lint bench bench-openblas fuzz reproduce paper paper-check verify-reproduce baseline regress slurm-test bench-peers clean $(BIN)

all: test

## test: everything CI runs: gofmt and vet, unit and conformance tests, and
## the variance regression check against results/baseline.
test: lint unit regress

$(BIN):
	$(GO) build -o $(BIN) ./cmd/gradbench

## lint: gofmt (check only) and go vet.
lint:
	@out=$$(gofmt -l $$( git ls-files --cached --others --exclude-standard '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

## unit: unit, conformance and acceptance tests.
unit:
	$(GO) test -count=1 -timeout 20m ./...

## bench: ns/sample of every estimator beside a hand-written loop, and ns per
## estimate through the sweep runner beside a hand-written loop with the same
## statistics (BenchmarkSweepLimit: pathwise, score, mvd at n = 1, 10, 1000).
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./estimators/... ./experiments/sweep/

## bench-openblas: one Gaussian- and Bernoulli-VAE training step with gonum's BLAS and
## with OpenBLAS (cgo, gonum.org/v1/netlib; needs gcc and libopenblas-dev),
## in a throwaway module: the binding is not a dependency of gradbench.
bench-openblas:
	bash experiments/openblas/bench.sh

## bench-peers: the linear Bernoulli-VAE DisARM step in Go beside the same
## step in PyTorch (Debian's python3-torch, one thread, float64 and float32),
## interleaved in one run; installs the Debian packages when run as root.
## Then the Fig. 2 sweep with gradbench (1 and 2 workers) beside numpy and
## PyTorch scripts and a hand-written Go loop computing the same means and
## variances.
bench-peers:
	bash experiments/peers/bench.sh
	bash experiments/peers/fig2.sh

## fuzz: fuzz the spec parser (not run in CI).
fuzz:
	$(GO) test -run '^$$' -fuzz FuzzParse -fuzztime 60s ./experiments/spec

## regress: run the regression suites and compare them, as one family of
## tests, with the baseline.
regress: $(BIN)
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	for s in $(REGRESSION); do \
	  $(GRADBENCH) run -q -o "$$tmp/$$s" experiments/$$s.toml || exit 2; \
	done; \
	echo "== gradbench check -baseline results/baseline $(REGRESSION)"; \
	$(GRADBENCH) check -baseline results/baseline $(addprefix "$$tmp"/,$(REGRESSION))

## baseline: rewrite results/baseline from fresh runs of the regression
## suites, for changes meant to alter the numbers (see README.md). It
## refuses (writing nothing) when an unbiased estimator is biased or a cell
## has non-finite estimates or failed; FORCE="reason" writes it anyway and
## records the reason in results/baseline/<suite>/forced.json.
FORCE ?=
baseline: $(BIN)
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	for s in $(REGRESSION); do \
	  $(GRADBENCH) run -q -o "$$tmp/$$s" experiments/$$s.toml || exit 2; \
	done; \
	$(GRADBENCH) baseline -baseline results/baseline $(if $(FORCE),-force '$(FORCE)') $(addprefix "$$tmp"/,$(REGRESSION))

## reproduce: every paper experiment from scratch (QUICK=1: reduced
## profile; ONLY="blr vae-gaussian": rerun only those, keep the others;
## TABLES_ONLY=1: rerun nothing, redraw figures and tables from results/);
## writes results/, paper/figures, paper/tables, paper/README.md.
ONLY ?=
TABLES_ONLY ?=
reproduce:
	QUICK=$(QUICK) ONLY="$(ONLY)" TABLES_ONLY=$(TABLES_ONLY) bash experiments/reproduce.sh

## paper-check: every figure and table paper.tex references exists.
paper-check:
	bash paper/check-refs.sh

## paper: build paper/build/paper.pdf with latexmk (Debian packages:
## latexmk lmodern texlive-latex-recommended texlive-latex-extra
## texlive-fonts-recommended) and fail on any LaTeX error, overfull box
## over 1pt or float too large (paper/check-log.sh); then the same for a
## document of every generated table (paper/check-tables.sh), and show that
## the log check catches an injected overfull table (paper/check-log-test.sh).
paper: paper-check
	@command -v latexmk >/dev/null || { echo "latexmk not found: install the Debian packages latexmk lmodern texlive-latex-recommended texlive-latex-extra texlive-fonts-recommended (.ci/run does)"; exit 1; }
	cd paper && max_print_line=10000 latexmk -pdf -interaction=nonstopmode -halt-on-error -outdir=build paper.tex
	bash paper/check-log.sh paper/build/paper.log
	bash paper/check-text.sh
	bash paper/check-tables.sh
	bash paper/check-log-test.sh

## slurm-test: start a single-node Slurm cluster (installs slurm-wlm and
## munge; needs root), run a sweep and a model quick profile as job arrays
## of shards, merge them and compare with a single run.
slurm-test:
	bash experiments/slurm/slurm-test.sh

## verify-reproduce: rerun the full profile and compare with the committed
## results (timing columns and timestamps aside).
verify-reproduce:
	bash experiments/verify-reproduce.sh

clean:
	rm -rf paper/build .bin
