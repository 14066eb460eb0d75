#!/usr/bin/env bash
# Checks that build/paper.pdf shows every table it includes in full: every
# header cell and first-column cell of each generated table that paper.tex
# and its sections \input (read from the table's Markdown twin,
# tables/NAME.md, which is never split, transposed or shortened) occurs in
# the text of the PDF (pdftotext). Whitespace and hyphens are ignored, so
# that line breaks and hyphenation do not matter. Run by `make paper`.
set -euo pipefail
cd "$(dirname "$0")"
command -v pdftotext >/dev/null || { echo "check-text: pdftotext not found (Debian: poppler-utils)" >&2; exit 1; }
norm() { tr -d ' \t\n\r\f-' | sed "s/µ/μ/g; s/−//g; s/‐//g; s/[’‘]/'/g; s/[“”]/\"/g"; }
text=$(pdftotext -enc UTF-8 build/paper.pdf - | norm)
missing=0
checked=0
for tex in paper.tex discrete.tex models.tex; do
  [ -e "$tex" ] || continue
  for t in $(grep -v '^\s*%' "$tex" | grep -o '\\input{tables/[^}]*}' | sed 's/.*{tables\/\(.*\)}/\1/; s/\.tex$//'); do
    md=tables/$t.md
    [ -e "$md" ] || { echo "check-text: no $md beside tables/$t.tex" >&2; missing=1; continue; }
    # Markdown table lines: "| a | b |"; the first is the header, the
    # second the alignment row. Cells are the header and the first column.
    while IFS= read -r cell; do
      [ -n "$cell" ] || continue
      checked=$((checked + 1))
      n=$(printf '%s' "$cell" | norm)
      [ -n "$n" ] || continue
      case "$text" in
        *"$n"*) ;;
        *) echo "check-text: tables/$t: \"$cell\" is not in build/paper.pdf"; missing=1 ;;
      esac
    done < <(sed 's/\\|/\x01/g' "$md" | awk -F'|' '/^\|/ { n++; if (n == 2) next
        if (n == 1) { for (i = 2; i < NF; i++) print $i } else print $2 }' |
      sed 's/\x01/|/g; s/^ *//; s/ *$//' | sort -u)
  done
done
[ "$checked" -gt 0 ] || { echo "check-text: no table cells found" >&2; exit 1; }
[ "$missing" = 0 ] || { echo "check-text: build/paper.pdf lacks the cells above" >&2; exit 1; }
echo "check-text: all $checked header and first-column cells of the included tables are in build/paper.pdf"
