#!/usr/bin/env bash
# Builds build/tables.pdf: every generated table (tables/*.tex), each on its
# own page, under paper.tex's preamble, and checks its log with
# check-log.sh, so that a table that does not fit the page fails even when
# the paper does not include it. Run by `make paper`, after the paper.
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p build
doc=build/tables.tex
{
  sed -n '1,/^\\begin{document}/p' paper.tex
  echo '\section*{Every generated table}'
  for f in tables/*.tex; do
    name=$(basename "$f" .tex)
    echo "\\clearpage\\noindent\\texttt{\\detokenize{$f}}\\par\\medskip"
    echo "\\input{tables/$name}"
  done
  echo '\end{document}'
} > "$doc"
max_print_line=10000 latexmk -pdf -interaction=nonstopmode -halt-on-error -outdir=build "$doc" > build/tables.stdout 2>&1 || {
  tail -40 build/tables.stdout; echo "check-tables: LaTeX failed on $doc (log: build/tables.log)" >&2; exit 1; }
bash check-log.sh build/tables.log
