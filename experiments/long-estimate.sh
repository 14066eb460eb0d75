#!/usr/bin/env bash
# Estimates the core-hours of a model experiment's long profile from its
# full-profile results: long-estimate.sh RESULTS STEPS EVAL_EVERY prints a
# Markdown table. The runs' step time (the curves' seconds column at each
# run's last step, summed) scales with the steps; the rest of the workers'
# time (workers × wall time − step time: evaluations, and idle workers at
# the end, so an overestimate) with the number of evaluations. Called by
# experiments/reproduce.sh.
set -euo pipefail
dir=$1 long_steps=$2 long_every=$3
meta="$dir/meta.json"
field() { sed -n "s/^  \"$1\": \"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}$/\1/p" "$meta" | head -1; }
workers=$(field workers)
wall=$(( $(date -d "$(field end)" +%s) - $(date -d "$(field start)" +%s) ))
# Σ over runs of the step seconds at the last step; the steps and the
# evaluations of one run.
read -r step_s steps evals < <(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
  { k = $(c["estimator"]) "/" $(c["seed"]); if (first == "") first = k; if (k == first) n++
    if ($(c["step"]) + 0 >= last[k]) { last[k] = $(c["step"]) + 0; s[k] = $(c["seconds"]) } }
  END { for (k in s) t += s[k]; printf "%.0f %d %d\n", t, last[first], n }' "$dir/curves.csv")
awk -v steps="$steps" -v evals="$evals" -v workers="$workers" -v wall="$wall" -v step_s="$step_s" \
  -v ls="$long_steps" -v le="$long_every" -v name="$(field experiment)" 'BEGIN {
  levals = int(ls / le) + 1
  core = workers * wall; rest = core - step_s; if (rest < 0) rest = 0
  est = step_s * ls / steps + rest * levals / evals
  printf "**%s: the long profile estimated from the full profile**\n\n", name
  printf "| profile | steps | evaluations | step core-hours | other core-hours | core-hours |\n"
  printf "|:--|--:|--:|--:|--:|--:|\n"
  printf "| full (measured, %d workers × %d s) | %d | %d | %.2f | %.2f | %.2f |\n", workers, wall, steps, evals, step_s / 3600, rest / 3600, core / 3600
  printf "| long (estimated) | %d | %d | %.1f | %.1f | %.1f |\n", ls, levals, step_s * ls / steps / 3600, rest * levals / evals / 3600, est / 3600
}'
