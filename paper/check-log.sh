#!/usr/bin/env bash
# Usage: check-log.sh LOG...
#
# Fails (exit 1) if a LaTeX log reports an error ("! ..."), an overfull box
# wider or taller than 1pt, a float too large for its page, a character
# missing from its font, or undefined references or citations after the
# last run; it prints each problem with the file being read at the time
# (the innermost "(./file.tex" open at that point of the log) and the line
# that follows it in the log. Underfull boxes and overfull boxes of at most
# 1pt are tolerated. `make paper` runs it on paper/build/paper.log and on
# the log of every generated table (check-tables.sh);
# check-log-test.sh shows it failing on an injected overfull table.
set -euo pipefail
[ "$#" -gt 0 ] || { echo "usage: check-log.sh LOG..." >&2; exit 2; }
status=0
for log in "$@"; do
  [ -r "$log" ] || { echo "check-log: cannot read $log" >&2; exit 2; }
  # TeX wraps log lines at 79 characters; the messages matched here start
  # a line, and their numbers come before any wrap.
  if ! awk -v logname="$log" '
    function report(msg) {
      printf "%s: %s: %s\n", logname, (file == "" ? "?" : file), msg
      getline nxt
      if (nxt != "") printf "    %s\n", nxt
      bad = 1
    }
    {
      # Track the innermost source file (a rough reading of TeX s
      # parenthesised file trace, good enough to name the culprit).
      line = $0
      while (match(line, /\(\.?\/?[A-Za-z0-9_.\/-]+\.(tex|sty|cls|cfg|def|fd)/)) {
        f = substr(line, RSTART + 1, RLENGTH - 1)
        if (f ~ /\.tex$/) file = f
        line = substr(line, RSTART + RLENGTH)
      }
    }
    /^! / { report($0); next }
    /^Overfull \\[hv]box \([0-9.]+pt too (wide|high)\)/ {
      s = $0; sub(/^Overfull \\[hv]box \(/, "", s); sub(/pt.*/, "", s)
      if (s + 0 > 1) report($0)
      next
    }
    /Float too large for page by/ { report($0); next }
    /^Missing character: There is no/ { report($0); next }
    /There were undefined references|There were undefined citations|There were multiply-defined labels/ { report($0); next }
    END { exit bad }
  ' "$log"; then
    status=1
  fi
done
if [ "$status" = 0 ]; then
  echo "check-log: $* clean (no errors, no overfull box over 1pt, no float too large)"
else
  echo "check-log: $* has the problems above" >&2
fi
exit "$status"
