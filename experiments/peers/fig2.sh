#!/usr/bin/env bash
# The Fig. 2 sweep (experiments/peers/fig2-peer.toml: score and pathwise,
# N(1, 1), (x − k)², n = 1, R = 10^5, 100 values of k) with gradbench at 1
# and 2 workers, and the same means and variances in numpy and PyTorch
# (experiments/peers/fig2_peer.py, Debian's python3-numpy and python3-torch,
# one thread) and in a hand-written Go loop (experiments/peers/fig2hand),
# REPS interleaved runs of each so that all see the same machine load.
# gradbench's time is the whole process (start, spec, sweep with its
# confidence intervals and references, files); the scripts' and the hand
# loop's time is their computation after start-up. Called by `make bench-peers`.
#
# It reports and does not assert: exit 0 when it ran; a missing numpy or
# torch is skipped with a message.
#
# Environment: REPS (5).
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
peers="$repo/experiments/peers"
PY=/usr/bin/python3 # Debian's python, the one python3-numpy and python3-torch install into
REPS=${REPS:-5}
cores=$(nproc) # before OMP_NUM_THREADS, which nproc obeys
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$repo" && go build -o "$tmp/gradbench" ./cmd/gradbench && go build -o "$tmp/fig2hand" ./experiments/peers/fig2hand)
have=()
for lib in numpy torch; do
  if [ -x "$PY" ] && "$PY" -c "import $lib" 2>/dev/null; then have+=("$lib")
  else echo "fig2 peers: $lib is missing (apt-get install python3-$lib): skipped" >&2; fi
done

now() { date +%s.%N; }
gb() { # workers
  local t0 t1
  t0=$(now)
  "$tmp/gradbench" run -q -workers "$1" -o "$tmp/out-$1" "$peers/fig2-peer.toml" > /dev/null
  t1=$(now)
  rm -rf "$tmp/out-$1"
  echo "gradbench-$1 $(echo "$t1 - $t0" | bc)" >> "$tmp/times.txt"
}
hand() { # the hand-written Go loop: its computation, after start-up
  "$tmp/fig2hand" | awk '$1 == "COMPUTE" {print "go-hand", $2}' >> "$tmp/times.txt"
}
py() { # lib
  "$PY" "$peers/fig2_peer.py" "$1" | awk -v lib="$1" '$1 == "COMPUTE" {print lib, $2}' >> "$tmp/times.txt"
}
echo "== machine: $cores cores; $(uptime)"
: > "$tmp/times.txt"
for r in $(seq 1 "$REPS"); do
  order=(gb1 gb2 hand "${have[@]}")
  [ $((r % 2)) = 0 ] && order=("${have[@]}" hand gb2 gb1) # alternate the order
  for x in "${order[@]}"; do
    case $x in gb1) gb 1 ;; gb2) gb 2 ;; hand) hand ;; *) py "$x" ;; esac
  done
  echo "   run $r/$REPS done ($(cut -d' ' -f1-3 /proc/loadavg))"
done
"$PY" - "$tmp/times.txt" "$(uptime)" <<'PYEOF'
import statistics, sys
t = {}
for ln in open(sys.argv[1]):
    k, v = ln.split()
    t.setdefault(k, []).append(float(v))
med = {k: statistics.median(v) for k, v in t.items()}
print("\nFig. 2 sweep (score and pathwise, 100 k, R = 10^5, n = 1): seconds, median [min-max] of",
      len(t.get("gradbench-1", [])), "interleaved runs")
for k in ("gradbench-1", "gradbench-2", "go-hand", "numpy", "torch"):
    if k in t:
        print(f"  {k:<12} {med[k]:7.3f} [{min(t[k]):.3f}-{max(t[k]):.3f}]")
for peer in ("numpy", "torch"):
    if peer in med:
        for w in ("1", "2"):
            print(f"  {peer}/gradbench-{w} = {med[peer] / med['gradbench-' + w]:.2f}× (gradbench faster above 1)")
if "numpy" in med:
    print(f"  numpy/go-hand = {med['numpy'] / med['go-hand']:.2f}× (a hand-written Go loop drawing as gradbench does)")
print(f"  gradbench-1/go-hand = {med['gradbench-1'] / med['go-hand']:.2f}× (the harness's whole process against the hand loop's computation)")
if "gradbench-1" in med:
    print(f"  scaling 1 → 2 workers: {med['gradbench-1'] / med['gradbench-2']:.2f}×")
print(f"load after: {sys.argv[2].strip()}")
PYEOF
