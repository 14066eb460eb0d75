#!/usr/bin/env bash
# Checks that every figure (\includegraphics) and table (\input) that
# paper.tex and the section files it inputs reference exists. Exit 1 with
# the missing files listed otherwise.
set -euo pipefail
cd "$(dirname "$0")"
missing=0
checked=0
for tex in paper.tex discrete.tex models.tex; do
  [ -e "$tex" ] || continue
  for f in $(grep -v '^\s*%' "$tex" | grep -o '\\includegraphics\(\[[^]]*\]\)\?{[^}]*}' | sed 's/.*{\(.*\)}/\1/'); do
    checked=$((checked + 1))
    if [ ! -e "$f" ] && [ ! -e "$f.pdf" ] && [ ! -e "$f.png" ]; then
      echo "missing figure: $f (referenced in $tex)"; missing=1
    fi
  done
  for f in $(grep -v '^\s*%' "$tex" | grep -o '\\input{tables/[^}]*}' | sed 's/.*{\(.*\)}/\1/'); do
    checked=$((checked + 1))
    [ -e "$f" ] || [ -e "$f.tex" ] || { echo "missing table: $f (referenced in $tex)"; missing=1; }
  done
done
[ "$checked" -gt 0 ] || { echo "no references found in paper.tex"; exit 1; }
[ "$missing" = 0 ] || exit 1
echo "paper: all $checked referenced figures and tables exist"
