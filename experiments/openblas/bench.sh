#!/usr/bin/env bash
# Measures one training step (Adam) of the Gaussian VAE (experiments/models/vae,
# batch 100, n = 2) and of the Bernoulli VAEs (experiments/models/bvae, the
# experiments' configuration, batch 50) with gonum's pure-Go BLAS and with
# OpenBLAS through gonum's cgo binding gonum.org/v1/netlib, in the same run,
# one and two OpenBLAS threads. Called by `make bench-openblas`.
#
# The binding is not a dependency of gradbench (it needs cgo and a C BLAS):
# this script builds a throwaway module in a temporary directory that
# requires gradbench through a replace directive and the binding from the Go
# module proxy. It needs gcc and OpenBLAS (Debian: libopenblas-dev).
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
if ! command -v gcc >/dev/null; then echo "bench-openblas: gcc not found (cgo needs it)" >&2; exit 2; fi
# cgo links with -lopenblas: the development package, not only the library.
links() { echo 'int main(void) { return 0; }' | gcc -x c - -lopenblas -o /dev/null 2>/dev/null; }
if ! links; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "bench-openblas: cannot link -lopenblas: apt-get install libopenblas-dev (as root)" >&2; exit 2
  fi
  echo "bench-openblas: installing libopenblas-dev" >&2
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libopenblas-dev >/dev/null
  links || { echo "bench-openblas: still cannot link -lopenblas" >&2; exit 2; }
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
