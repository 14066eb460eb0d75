#!/usr/bin/env bash
# Times one Bernoulli-VAE training step (linear 784-200-784, batch 50,
# DisARM, Adam) in Go (BenchmarkStep/linear/{floor-disarm,disarm,disarm+adam}
# of experiments/models/bvae, gonum's pure-Go BLAS, GOMAXPROCS=1) and in
# PyTorch (experiments/peers/bvae_step.py, float64 and float32, one thread,
# OpenBLAS), in the same invocation: REPS runs of each, interleaved, so both
# see the same machine load. Before timing, it checks that the torch step is
# Go's step: one Go step is dumped (parameters, images, every uniform drawn;
# gradients and Adam update) and replayed in torch. Called by
# `make bench-peers`; see experiments/peers/README.md.
#
# It reports and does not assert: exit 0 when it ran, 2 when it could not
# (no torch and not root to install it).
#
# Environment: REPS (5), BENCHTIME (100x, Go steps per run), STEPS (100,
# torch steps per run and variant), WARMUP (10), SKIP_CHECK=1 (no replay).
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
peers="$repo/experiments/peers"
PY=/usr/bin/python3 # Debian's python, the one python3-torch installs into
REPS=${REPS:-5} BENCHTIME=${BENCHTIME:-100x} STEPS=${STEPS:-100} WARMUP=${WARMUP:-10}
BENCH='Step/^linear$/^(disarm|floor-disarm|disarm\+adam)$'

# What torch needs: python3-torch, and OpenBLAS as libblas.so.3 (without it
# Debian's torch uses the reference BLAS, about 5× slower).
need=()
[ -x "$PY" ] && "$PY" -c 'import torch' 2>/dev/null || need+=(python3-torch)
dpkg-query -W -f='${Status}' libopenblas0-pthread 2>/dev/null | grep -q 'ok installed' || need+=(libopenblas0-pthread)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "bench-peers: missing ${need[*]}: apt-get install ${need[*]} (as root)" >&2; exit 2
  fi
  echo "bench-peers: installing ${need[*]}" >&2
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
cores=$(nproc) # before OMP_NUM_THREADS, which nproc obeys
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
load_before=$(uptime)
echo "== machine: $cores cores; $load_before"
"$PY" "$peers/bvae_step.py" --info

if [ "${SKIP_CHECK:-0}" != 1 ]; then
  echo "== check: torch replays one Go step (same parameters, images, uniforms)"
  mkdir -p "$tmp/dump"
  cat > "$tmp/dump/main.go" <<'GO'
// Dumps one Go step of the linear Bernoulli VAE with DisARM (batch 50, 200
// latents) as JSON for bvae_step.py --replay.
package main

import (
	"encoding/json"
	"math/rand/v2"
	"os"

	"github.com/gradbench/gradbench/estimators"
	"github.com/gradbench/gradbench/experiments/models/bvae"
	"github.com/gradbench/gradbench/experiments/optim"
)

// recorder is a rand.Source that keeps every uniform rand.Float64 makes of it.
type recorder struct {
	src rand.Source
	u   []float64
}

func (r *recorder) Uint64() uint64 {
	v := r.src.Uint64()
	r.u = append(r.u, float64(v<<11>>11)/(1<<53)) // as rand.Float64
	return v
}

func main() {
	init := rand.New(rand.NewPCG(1, 2))
	m, err := bvae.New(bvae.Config{Latent: 200, Batch: 50, Samples: 1}, init)
	if err != nil {
		panic(err)
	}
	for d := range m.Prior {
		m.Prior[d] = init.NormFloat64()
	}
	img := make([]float64, 50*784)
	for i := range img {
		img[i] = init.Float64() * init.Float64() // grey levels: binarisation matters
	}
	out := map[string]any{"params": append([]float64(nil), m.Params...),
		"prior": append([]float64(nil), m.Prior...), "images": img}
	rec := &recorder{src: rand.NewPCG(3, 4)}
	rng := rand.New(rec)
	est, err := estimators.New("disarm", nil)
	if err != nil {
		panic(err)
	}
	_, elbo, err := m.Step(img, est, rng, rng)
	if err != nil {
		panic(err)
	}
	out["uniforms"], out["grad"], out["priorGrad"], out["elbo"] = rec.u, m.Grad, m.PriorGrad, elbo
	optim.NewAdam().Step(m.Params, m.Grad, 1e-4)
	out["after"] = m.Params
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		panic(err)
	}
}
GO
  if (cd "$repo" && go run "$tmp/dump/main.go" > "$tmp/dump.json"); then
    "$PY" "$peers/bvae_step.py" --replay "$tmp/dump.json" || echo "(replay: mismatch or error, exit $?)"
  else
    echo "(check skipped: the Go dump did not run)"
  fi
fi

echo "== timing: $REPS interleaved runs; Go $BENCHTIME steps, torch $STEPS steps (+$WARMUP warm-up) per variant"
(cd "$repo" && go test -run '^$' ./experiments/models/bvae/ >/dev/null) # build once, outside the timing
gorun() {
  (cd "$repo" && GOMAXPROCS=1 go test -run '^$' -bench "$BENCH" -benchtime "$BENCHTIME" -count 1 \
    ./experiments/models/bvae/) >> "$tmp/go.txt" 2>&1 || echo "(go run $1 failed)" >&2
  echo "RUN $1" >> "$tmp/go.txt"
}
torchrun() {
  "$PY" "$peers/bvae_step.py" --steps "$STEPS" --warmup "$WARMUP" >> "$tmp/torch.txt" 2>&1 \
    || echo "(torch run $1 failed)" >&2
  echo "RUN $1" >> "$tmp/torch.txt"
}
: > "$tmp/go.txt"; : > "$tmp/torch.txt"
for r in $(seq 1 "$REPS"); do
  if [ $((r % 2)) = 1 ]; then gorun "$r"; torchrun "$r"; else torchrun "$r"; gorun "$r"; fi
  echo "   run $r/$REPS done ($(cut -d' ' -f1-3 /proc/loadavg))"
done
load_after=$(uptime)

"$PY" - "$tmp/go.txt" "$tmp/torch.txt" "$load_before" "$load_after" "$BENCHTIME" "$STEPS" <<'PYEOF'
import re, statistics, sys
gofile, tfile, before, after, benchtime, steps = sys.argv[1:]

def runs(path, parse):
    """{run: {(dtype, variant): ms}} from a file of results, runs ended by RUN lines."""
    out, cur = {}, {}
    for ln in open(path):
        if ln.startswith("RUN "):
            out[int(ln.split()[1])], cur = cur, {}
            continue
        k = parse(ln)
        if k:
            cur[k[0]] = k[1]
    return out

def go_line(ln):
    # The ms/step metric, not ns/op: the step benchmark's loop also runs
    # one floor pass per step, timed apart, for its x-floor.
    m = re.match(r"BenchmarkStep/linear/(\S+?)(?:-\d+)?\s+\d+\s+[\d.]+ ns/op\s+([\d.]+) ms/step", ln)
    return m and (("float64", m.group(1)), float(m.group(2)))

def torch_line(ln):
    f = ln.split()
    return len(f) == 5 and f[0] == "RESULT" and ((f[2], f[3]), float(f[4]))

go, th = runs(gofile, go_line), runs(tfile, torch_line)
both = sorted(set(go) & set(th))

def cell(vals):
    if not vals:
        return "-"
    return f"{statistics.median(vals):.2f} [{min(vals):.2f}-{max(vals):.2f}]"

def ratio(gokey, tkey):
    r = [go[i][gokey] / th[i][tkey] for i in both if gokey in go[i] and tkey in th[i]]
    return f"{statistics.median(r):.2f} [{min(r):.2f}-{max(r):.2f}]" if r else "-"

rows = [("floor-disarm", "floor-disarm"), ("disarm", "disarm"), ("disarm+adam", "disarm+adam"),
        ("disarm+adam/autograd", "disarm+adam")]  # (torch variant, Go variant it is set against)
print(f"\nBernoulli-VAE step, linear 784-200-784, batch 50, DisARM; one thread each; ms/step over "
      f"{len(both)} interleaved runs (Go {benchtime}, torch {steps} steps each): median [min-max]")
hdr = ("variant", "Go float64", "torch float64", "torch float32", "Go/torch64", "Go/torch32")
fmt = "{:<22} {:<20} {:<20} {:<20} {:<18} {:<18}"
print(fmt.format(*hdr))
for tv, gv in rows:
    gcell = cell([go[i][("float64", gv)] for i in both if ("float64", gv) in go[i]])
    if tv != gv:
        gcell = f"(= {gv})"
    print(fmt.format(tv, gcell,
                     cell([th[i][("float64", tv)] for i in both if ("float64", tv) in th[i]]),
                     cell([th[i][("float32", tv)] for i in both if ("float32", tv) in th[i]]),
                     ratio(("float64", gv), ("float64", tv)), ratio(("float64", gv), ("float32", tv))))

def xfloor(d, dt):
    r = [d[i][(dt, "disarm")] / d[i][(dt, "floor-disarm")] for i in both
         if (dt, "disarm") in d[i] and (dt, "floor-disarm") in d[i]]
    return f"{statistics.median(r):.2f}" if r else "-"
print(fmt.format("x-floor (disarm/floor)", xfloor(go, "float64"), xfloor(th, "float64"),
                 xfloor(th, "float32"), "", ""))
print("ratios: median [min-max] of the per-run ratios (Go and torch of the same run)")
print(f"load before: {before.strip()}\nload after:  {after.strip()}")
PYEOF
exit 0
