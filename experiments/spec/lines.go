package spec

import (
	"strconv"
	"strings"
)

// keyLines maps the dotted path of every key and table header in a TOML
// document to the line (from 1) where it first appears, so that validation
// errors can point at a line. Elements of arrays of tables are written
// "a.b[i]"; keys inside inline tables are not located (their enclosing key
// is). The scan is approximate but never fails: a path it misses falls back
// to its nearest located parent.
func keyLines(data []byte) map[string]int {
	lines := map[string]int{}
	arrays := map[string]int{} // resolved array-of-tables path → current index
	context := ""
	depth := 0    // bracket depth of a multi-line array value
	inMulti := "" // the delimiter of an open multi-line string
	record := func(path string, line int) {
		if _, ok := lines[path]; !ok && path != "" {
			lines[path] = line
		}
	}
	for i, raw := range strings.Split(string(data), "\n") {
		ln := i + 1
		if inMulti != "" {
			if strings.Count(raw, inMulti)%2 == 1 {
				inMulti = ""
			}
			continue
		}
		code, multi := stripLine(raw)
		if multi != "" {
			inMulti = multi
		}
		t := strings.TrimSpace(code)
		if depth > 0 {
			depth += bracketDelta(t)
			continue
		}
		switch {
		case t == "":
		case strings.HasPrefix(t, "[["):
			end := strings.Index(t, "]]")
			if end < 0 {
				continue
			}
			parts := splitKey(t[2:end])
			if len(parts) == 0 {
				continue
			}
			prefix := resolve(parts[:len(parts)-1], arrays)
			full := join(prefix, parts[len(parts)-1])
			idx, ok := arrays[full]
			if ok {
				idx++
			}
			arrays[full] = idx
			record(full, ln)
			context = full + "[" + strconv.Itoa(idx) + "]"
			record(context, ln)
		case strings.HasPrefix(t, "["):
			end := strings.Index(t, "]")
			if end < 0 {
				continue
			}
			context = resolve(splitKey(t[1:end]), arrays)
			record(context, ln)
		default:
			eq := strings.Index(t, "=")
			if eq < 0 {
				continue
			}
			parts := splitKey(t[:eq])
			path := context
			for _, p := range parts {
				path = join(path, p)
				record(path, ln)
			}
			depth = max(bracketDelta(t[eq+1:]), 0)
		}
	}
	return lines
}

// stripLine removes strings' contents and comments from one line of TOML,
// and reports the delimiter of a multi-line string left open at its end.
func stripLine(s string) (code, openMulti string) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '#':
			return b.String(), ""
		case '"', '\'':
			q := string(c)
			if strings.HasPrefix(s[i:], q+q+q) {
				end := strings.Index(s[i+3:], q+q+q)
				if end < 0 {
					b.WriteString(`""`)
					return b.String(), q + q + q
				}
				i += 3 + end + 2
				b.WriteString(`""`)
				continue
			}
			j := i + 1
			for j < len(s) && s[j] != c {
				if c == '"' && s[j] == '\\' {
					j++
				}
				j++
			}
			b.WriteString(s[i:min(j+1, len(s))])
			i = j
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), ""
}

// bracketDelta returns the number of '[' minus the number of ']' in s
// (strings already stripped).
func bracketDelta(s string) int {
	return strings.Count(s, "[") - strings.Count(s, "]")
}

// splitKey splits a dotted TOML key, removing quotes and spaces.
func splitKey(s string) []string {
	var parts []string
	for _, p := range strings.Split(s, ".") {
		p = strings.TrimSpace(p)
		if len(p) >= 2 && (p[0] == '"' || p[0] == '\'') && p[len(p)-1] == p[0] {
			p = p[1 : len(p)-1]
		}
		if p != "" {
			parts = append(parts, p)
		}
	}
	return parts
}

// resolve joins key parts into a path, indexing arrays of tables by their
// current element.
func resolve(parts []string, arrays map[string]int) string {
	cur := ""
	for _, p := range parts {
		cur = join(cur, p)
		if idx, ok := arrays[cur]; ok {
			cur += "[" + strconv.Itoa(idx) + "]"
		}
	}
	return cur
}

func join(a, b string) string {
	if a == "" {
		return b
	}
	return a + "." + b
}

// lineOf returns the line of path or of its nearest located parent, or 0.
func lineOf(lines map[string]int, path string) int {
	for path != "" {
		if l, ok := lines[path]; ok {
			return l
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			return 0
		}
		path = path[:i]
	}
	return 0
}
