#!/usr/bin/env bash
# Measures one Gaussian-VAE training step (experiments/models/vae, batch 100,
# n = 2, Adam) with gonum's pure-Go BLAS and with OpenBLAS through gonum's
# cgo binding gonum.org/v1/netlib, in the same run, one and two OpenBLAS
# threads. Called by `make bench-openblas`.
#
# The binding is not a dependency of gradbench (it needs cgo and a C BLAS):
# this script builds a throwaway module in a temporary directory that
# requires gradbench through a replace directive and the binding from the Go
# module proxy. It needs gcc and OpenBLAS (Debian: libopenblas-dev).
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
if ! command -v gcc >/dev/null; then echo "bench-openblas: gcc not found (cgo needs it)" >&2; exit 2; fi
if ! ldconfig -p 2>/dev/null | grep -q libopenblas; then
  echo "bench-openblas: OpenBLAS not found: install the Debian package libopenblas-dev" >&2; exit 2
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "$repo/experiments/openblas/step_test.go.txt" "$tmp/step_test.go"
cd "$tmp"
cat > go.mod <<MOD
module openblasbench

go 1.26

require github.com/gradbench/gradbench v0.0.0

replace github.com/gradbench/gradbench => $repo
MOD
export CGO_ENABLED=1 CGO_LDFLAGS="${CGO_LDFLAGS:--lopenblas}"
GOFLAGS=-mod=mod go get gonum.org/v1/netlib/blas/netlib >/dev/null 2>&1 || {
  echo "bench-openblas: cannot fetch gonum.org/v1/netlib from the module proxy" >&2; exit 2; }
GOFLAGS=-mod=mod go mod tidy >/dev/null
for threads in 1 2; do
  echo "== OPENBLAS_NUM_THREADS=$threads"
  OPENBLAS_NUM_THREADS=$threads go test -run '^$' -bench . -benchtime "${BENCHTIME:-30x}" -count "${COUNT:-3}" .
done
