#!/usr/bin/env bash
# Shows that check-log.sh catches what `make paper` must fail on: builds,
# under paper.tex's preamble, a document with a table that fits (the check
# must pass), one with an injected table 300pt too wide and one with a
# float taller than the page (the check must fail on each, naming the
# overfull box or the float). Run by `make paper`.
set -euo pipefail
cd "$(dirname "$0")"
dir=build/check-log-test
mkdir -p "$dir"
preamble=$(sed -n '1,/^\\begin{document}/p' paper.tex)
body_ok='\begin{table}[htbp]\centering\small
\begin{tabular}{lr}\toprule a & b \\\midrule x & 1.5 $\pm$ 0.2 \\\bottomrule\end{tabular}
\end{table}'
body_wide='\begin{table}[htbp]\centering\small
\begin{tabular}{lr}\toprule a & b \\\midrule x & \rule{770pt}{1pt} \\\bottomrule\end{tabular}
\end{table}'
body_tall='\begin{table}[htbp]\centering\small
\rule{1pt}{800pt}
\end{table}'
build() { # name body
  printf '%s\n%s\n\\end{document}\n' "$preamble" "$2" > "$dir/$1.tex"
  max_print_line=10000 latexmk -pdf -interaction=nonstopmode -halt-on-error -outdir="$dir" "$dir/$1.tex" > "$dir/$1.stdout" 2>&1 || {
    tail -20 "$dir/$1.stdout"; echo "check-log-test: LaTeX failed on $dir/$1.tex" >&2; exit 1; }
}
build ok "$body_ok"
build wide "$body_wide"
build tall "$body_tall"
bash check-log.sh "$dir/ok.log" > /dev/null || { echo "check-log-test: check-log.sh rejects a table that fits" >&2; exit 1; }
for case in wide:'Overfull \\hbox' tall:'Float too large'; do
  name=${case%%:*} want=${case#*:}
  if out=$(bash check-log.sh "$dir/$name.log" 2>&1); then
    echo "check-log-test: check-log.sh accepts the $name table:" >&2; echo "$out" >&2; exit 1
  fi
  grep -q "$want" <<<"$out" || { echo "check-log-test: the $name table's report lacks \"$want\":" >&2; echo "$out" >&2; exit 1; }
done
echo "check-log-test: check-log.sh passes a table that fits and fails on an overfull table and on a float too large"
