#!/usr/bin/env bash
# Regenerates every result, figure and table of the paper from the specs in
# experiments/: results/<name>/, paper/figures/, paper/tables/ and
# paper/README.md. Called by `make reproduce` (QUICK=1: the reduced
# profile of every spec; ONLY="name ...": rerun only those experiments and
# keep the others' results, then regenerate the claims, provenance and
# README from all of them; TABLES_ONLY=1: run nothing, regenerate the
# figures and tables from the results present). Prints a line per
# experiment and the total time.
set -euo pipefail
cd "$(dirname "$0")/.."

bin=.bin/gradbench
go build -o "$bin" ./cmd/gradbench

# The paper's experiments, in the order of the paper. Each is
# experiments/<name>.toml.
specs=(
  fig2-quadratic fig3-gaussian fig3-cos fig4-score-dim fig5-mvd-dim
  claims-continuous claims-step
)
# Experiments contributed by other sections, when their specs exist.
for extra in experiments/sampling-*.toml experiments/implicit-*.toml experiments/gamma-*.toml experiments/discrete-*.toml experiments/blr*.toml experiments/vae*.toml; do
  [ -e "$extra" ] && specs+=("$(basename "$extra" .toml)")
done

profile=()
label="full"
if [ -n "${QUICK:-}" ]; then
  profile=(-profile quick)
  label="quick"
fi
# PDFs carry this date, so that reruns give identical files.
export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-1764288000}"

all=("${specs[@]}")
if [ -n "${ONLY:-}" ]; then
  specs=()
  for s in $ONLY; do
    [ -e "experiments/$s.toml" ] || { echo "reproduce: ONLY: no experiments/$s.toml" >&2; exit 2; }
    specs+=("$s")
  done
else
  rm -rf paper/figures paper/tables
fi
mkdir -p results paper/figures paper/tables
start=$(date +%s)
n=${#specs[@]}
i=0
for s in "${specs[@]}"; do
  i=$((i + 1))
  t0=$(date +%s)
  if [ -n "${TABLES_ONLY:-}" ]; then
    [ -d "results/$s" ] || { echo "reproduce: TABLES_ONLY: no results/$s (run it first)" >&2; exit 2; }
  else
    rm -rf "results/$s"
    # Training experiments print a line per finished run (and one a
    # minute while runs go on); sweeps show progress on a terminal only.
    "$bin" run "${profile[@]}" -o "results/$s" "experiments/$s.toml"
  fi
  if grep -q '^\[\(plot\|train\|model\)\]' "experiments/$s.toml"; then
    "$bin" plot -o paper/figures "results/$s" >/dev/null 2>"results/$s/plot-notes.txt"
  fi
  if [ -e "results/$s/cells.csv" ]; then
    "$bin" table -layout summary -format markdown "results/$s" > "paper/tables/$s.md"
    "$bin" table -layout summary -format latex "results/$s" > "paper/tables/$s.tex"
    case "$s" in
      discrete-*) # estimators of different cost: variance × evaluations per estimate too,
        # and the totals per estimator over every cell and component
        "$bin" table -layout summary -cost -format markdown "results/$s" > "paper/tables/$s-cost.md"
        "$bin" table -layout summary -cost -format latex "results/$s" > "paper/tables/$s-cost.tex"
        "$bin" table -layout estimators -format markdown "results/$s" > "paper/tables/$s-estimators.md"
        "$bin" table -layout estimators -format latex "results/$s" > "paper/tables/$s-estimators.tex" ;;
      sampling-*) # the fitted slopes of log RMSE against log n
        "$bin" table -layout slopes -format markdown "results/$s" > "paper/tables/$s-slopes.md"
        "$bin" table -layout slopes -format latex "results/$s" > "paper/tables/$s-slopes.tex" ;;
    esac
  else
    "$bin" table -format markdown "results/$s" > "paper/tables/$s.md"
    "$bin" table -format latex "results/$s" > "paper/tables/$s.tex"
  fi
  case "$s" in
    vae-bernoulli-linear | vae-bernoulli-nonlinear) # the bounds at the last step, the test set's whole
      for fmt in markdown latex; do
        ext=md; [ "$fmt" = latex ] && ext=tex
        "$bin" table -layout metrics -metrics train_elbo,test_iw,test_iw_full -format "$fmt" "results/$s" > "paper/tables/$s-metrics.$ext"
      done
      if [ -z "${QUICK:-}" ]; then # the long profile's cost, from this full-profile run
        bash experiments/long-estimate.sh "results/$s" 1000000 10000 > "paper/tables/$s-long.md"
      fi
      if [ "$s" = vae-bernoulli-linear ]; then
        # Grathwohl et al. (2018), RELAX, Table 1: best training ELBO of the
        # linear one-layer model on statically binarised MNIST (Concrete:
        # the Gumbel-Softmax relaxation).
        for fmt in markdown latex; do
          ext=md; [ "$fmt" = latex ] && ext=tex
          "$bin" table -layout metrics -metrics train_elbo -published rebar=-111.6,relax=-111.2,gumbel-softmax=-111.3 \
            -format "$fmt" "results/$s" > "paper/tables/$s-published.$ext"
        done
      fi ;;
  esac
  if grep -q '^probe_draws' "experiments/$s.toml"; then # estimators at shared parameters
    "$bin" table -layout probes -format markdown "results/$s" > "paper/tables/$s-probes.md"
    "$bin" table -layout probes -format latex "results/$s" > "paper/tables/$s-probes.tex"
  fi
  echo "[$i/$n] $s ($label): $(( $(date +%s) - t0 ))s"
done
"$bin" claims -results results -format markdown > paper/tables/claims.md
"$bin" claims -results results -format latex > paper/tables/claims.tex
dirs=()
for s in "${all[@]}"; do [ -e "results/$s" ] && dirs+=("results/$s"); done
"$bin" provenance -format markdown "${dirs[@]}" > paper/tables/provenance.md
"$bin" provenance -format latex "${dirs[@]}" > paper/tables/provenance.tex
bash paper/readme.sh > paper/README.md
echo "reproduce ($label): ${#specs[@]} experiments in $(( $(date +%s) - start ))s; results in results/, figures in paper/figures, tables in paper/tables"
