package cli

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// repoRoot is the repository's root, from this package's folder.
var repoRoot = filepath.Join("..", "..", "..")

// A readmeExample is one shell command of README.md.
type readmeExample struct {
	line  int      // line number in README.md (of the first line, for continued lines)
	block int      // index of the fenced block (or of the "$ " line outside blocks)
	text  string   // the command, continuation lines joined
	words []string // the command split into words (no expansion yet)
	note  string   // its trailing "# …" comment
	want  *string  // the output the README shows after a "$ " line, if any
}

// readmeBlock is a fenced block of shell commands, or a "$ " line outside
// blocks; its commands run in order, in one folder.
type readmeBlock struct {
	line     int
	examples []readmeExample
	comments []string // its comment lines (#SBATCH directives among them)
}

// shellInfo are the info strings of the fenced blocks whose lines are
// shell commands.
var shellInfo = map[string]bool{"sh": true, "bash": true, "shell": true, "console": true}

// parseReadme returns the shell examples of a Markdown text: every line of
// a ```sh, ```bash, ```shell or ```console block (a trailing "\" joins the
// next line), and every line that starts with "$ " in or out of such a
// block. In a block that has "$ " lines, only those are commands, and the
// lines that follow one, up to the next "$ " line or the end of the block,
// are the output it shows.
func parseReadme(src string) ([]readmeBlock, error) {
	lines := strings.Split(src, "\n")
	var blocks []readmeBlock
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if strings.HasPrefix(l, "$ ") {
			ex, err := newExample(i+1, strings.TrimPrefix(l, "$ "))
			if err != nil {
				return nil, err
			}
			blocks = append(blocks, readmeBlock{line: i + 1, examples: []readmeExample{ex}})
			continue
		}
		fence, ok := strings.CutPrefix(l, "```")
		if !ok {
			continue
		}
		start := i
		var body []string
		for i++; i < len(lines) && !strings.HasPrefix(lines[i], "```"); i++ {
			body = append(body, lines[i])
		}
		if i == len(lines) {
			return nil, fmt.Errorf("README.md:%d: the block is not closed", start+1)
		}
		if !shellInfo[strings.TrimSpace(fence)] {
			continue
		}
		b := readmeBlock{line: start + 1}
		prompt := slices.ContainsFunc(body, func(s string) bool { return strings.HasPrefix(s, "$ ") })
		for j := 0; j < len(body); j++ {
			text, first := body[j], start+2+j
			if prompt {
				cmd, isCmd := strings.CutPrefix(text, "$ ")
				if !isCmd {
					continue // output of the previous command
				}
				text = cmd
			}
			for strings.HasSuffix(text, "\\") && j+1 < len(body) {
				j++
				text = strings.TrimSuffix(text, "\\") + " " + strings.TrimSpace(body[j])
			}
			if t := strings.TrimSpace(text); t == "" || strings.HasPrefix(t, "#") {
				if t != "" {
					b.comments = append(b.comments, t)
				}
				continue
			}
			ex, err := newExample(first, text)
			if err != nil {
				return nil, err
			}
			if prompt {
				var out []string
				for j+1 < len(body) && !strings.HasPrefix(body[j+1], "$ ") {
					j++
					out = append(out, body[j])
				}
				want := strings.Join(out, "\n")
				ex.want = &want
			}
			b.examples = append(b.examples, ex)
		}
		blocks = append(blocks, b)
	}
	for i := range blocks {
		for j := range blocks[i].examples {
			blocks[i].examples[j].block = i
		}
	}
	return blocks, nil
}

// newExample splits a command line into words as the shell does for the
// README's examples: blanks separate words, '…' and "…" quote, an unquoted
// "#" starting a word begins the comment.
func newExample(line int, text string) (readmeExample, error) {
	ex := readmeExample{line: line, text: strings.TrimSpace(text)}
	var w strings.Builder
	inWord := false
	var quote rune
	rs := []rune(text)
	for k := 0; k < len(rs); k++ {
		c := rs[k]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			} else {
				w.WriteRune(c)
			}
		case c == '\'' || c == '"':
			quote, inWord = c, true
		case c == ' ' || c == '\t':
			if inWord {
				ex.words = append(ex.words, w.String())
				w.Reset()
				inWord = false
			}
		case c == '#' && !inWord:
			ex.note = strings.TrimSpace(string(rs[k+1:]))
			ex.text = strings.TrimSpace(string(rs[:k]))
			k = len(rs)
		default:
			w.WriteRune(c)
			inWord = true
		}
	}
	if quote != 0 {
		return ex, fmt.Errorf("README.md:%d: unclosed quote in %q", line, text)
	}
	if inWord {
		ex.words = append(ex.words, w.String())
	}
	return ex, nil
}

// What TestReadmeExamples does with each README command, decided by
// readmeRule from its first word(s). Nothing is left out silently: a
// command no rule knows fails the test.
const (
	ruleRun      = "run"      // a gradbench command: run in-process, must exit 0
	ruleParallel = "parallel" // GNU parallel over a gradbench command: each job run in turn
	ruleMake     = "make"     // a make target: skipped (make test runs the tests, make reproduce every experiment, for minutes or hours)
	ruleCluster  = "cluster"  // sbatch, srun, squeue, scancel, kubectl: skipped (needs a cluster); the gradbench lines of a job script run
)

// gradbenchArgs returns the arguments of a gradbench command line: after
// "gradbench" or "go run ./cmd/gradbench".
func gradbenchArgs(words []string) ([]string, bool) {
	switch {
	case len(words) >= 1 && words[0] == "gradbench":
		return words[1:], true
	case len(words) >= 3 && words[0] == "go" && words[1] == "run" && (words[2] == "./cmd/gradbench" || words[2] == "github.com/gradbench/gradbench/cmd/gradbench"):
		return words[3:], true
	}
	return nil, false
}

// readmeRule returns the rule for a command, or "" if none applies.
func readmeRule(words []string) string {
	if _, ok := gradbenchArgs(words); ok {
		return ruleRun
	}
	switch words[0] {
	case "make":
		return ruleMake
	case "sbatch", "srun", "squeue", "scancel", "kubectl":
		return ruleCluster
	case "parallel":
		if i := slices.Index(words, ":::"); i > 1 {
			if _, ok := gradbenchArgs(words[1:i]); ok {
				return ruleParallel
			}
		}
	}
	return ""
}

// readmeSlow lists the README commands that take more than a second or
// two, by a substring of their text; under -short the block holding one
// is skipped (its commands depend on each other), and the test says so.
var readmeSlow = []string{
	"-shard {}/8 -o shards/{} experiments/fig2-quadratic.toml", // all 8 shards: the full profile of fig2-quadratic, about 3 s
}

var (
	varRef   = regexp.MustCompile(`\$\{(\w+)\}|\$(\w+)`)
	seqSubst = regexp.MustCompile(`^\$\(seq (\d+) (\d+)\)$`)
	sbatchAr = regexp.MustCompile(`^#SBATCH --array=(\d+)-(\d+)$`)
)

// expand returns the words of a command after the shell's expansions the
// README uses: $VAR and ${VAR} from env, /tmp/… moved into tmp (so the
// test writes only its own folder), and globs matched relative to the
// current folder (a pattern that matches nothing stays as it is, as in
// sh).
func expand(words []string, env map[string]string, tmp string) ([]string, error) {
	var out []string
	for _, w := range words {
		var missing error
		w = varRef.ReplaceAllStringFunc(w, func(m string) string {
			name := strings.Trim(m, "${}")
			v, ok := env[name]
			if !ok {
				missing = fmt.Errorf("$%s is not set", name)
			}
			return v
		})
		if missing != nil {
			return nil, missing
		}
		if rest, ok := strings.CutPrefix(w, "/tmp/"); ok {
			w = filepath.Join(tmp, "tmp", rest)
		}
		if !strings.ContainsAny(w, "*?[") {
			out = append(out, w)
			continue
		}
		dirOnly := strings.HasSuffix(w, "/")
		matches, err := filepath.Glob(strings.TrimSuffix(w, "/"))
		if err != nil {
			return nil, err
		}
		var kept []string
		for _, m := range matches {
			if st, err := os.Stat(m); err == nil && (!dirOnly || st.IsDir()) {
				if dirOnly {
					m += "/"
				}
				kept = append(kept, m)
			}
		}
		if len(kept) == 0 {
			kept = []string{w}
		}
		out = append(out, kept...)
	}
	return out, nil
}

// copyTree copies the files under src into dst.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// writtenBy returns the results folders a gradbench command writes (run
// SPEC → results/<spec's base name> or -o; merge -o), so that the
// committed results are not copied over them.
func writtenBy(args []string) []string {
	if len(args) == 0 || (args[0] != "run" && args[0] != "merge") {
		return nil
	}
	for i, a := range args {
		if a == "-o" && i+1 < len(args) {
			return []string{filepath.Clean(args[i+1])}
		}
	}
	var dirs []string
	for _, a := range args[1:] {
		if strings.HasSuffix(a, ".toml") {
			dirs = append(dirs, filepath.Join("results", strings.TrimSuffix(filepath.Base(a), ".toml")))
		}
	}
	return dirs
}

// TestReadmeExamples runs the shell examples of README.md, block by block,
// each block in a folder of its own holding a copy of experiments/*.toml
// (with experiments/data) and of the committed results/ (what make
// reproduce writes, which claims, provenance, and the table and plot of a
// model experiment read; the folders a block's own commands write are
// left out). Each gradbench command runs in-process and must exit with
// status 0; where the README shows output ("$ " lines), stdout must be
// that output; a "→ PATH" in a command's comment must exist afterwards.
// The rules (readmeRule) skip make targets and cluster commands, run GNU
// parallel's jobs one by one, and run the gradbench lines of a Slurm
// job script for its first and last array task; a command no rule knows
// fails the test, so that an example that stops working (a renamed flag,
// a moved spec) fails here.
func TestReadmeExamples(t *testing.T) {
	src, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks, err := parseReadme(string(src))
	if err != nil {
		t.Fatal(err)
	}
	ran := 0
	for _, b := range blocks {
		var kinds []string
		for _, ex := range b.examples {
			rule := readmeRule(ex.words)
			if rule == "" {
				t.Errorf("README.md:%d: %q: no rule of readme_test.go says how to run this example: add one", ex.line, ex.text)
			}
			kinds = append(kinds, rule)
		}
		if !slices.Contains(kinds, ruleRun) && !slices.Contains(kinds, ruleParallel) {
			for _, ex := range b.examples {
				t.Logf("README.md:%d: skipped (%s rule): %s", ex.line, readmeRule(ex.words), ex.text)
			}
			continue
		}
		slow := ""
		for _, ex := range b.examples {
			for _, s := range readmeSlow {
				if strings.Contains(ex.text, s) {
					slow = ex.text
				}
			}
		}
		if slow != "" && testing.Short() {
			t.Logf("README.md:%d: block skipped under -short: %q takes more than a second or two", b.line, slow)
			continue
		}
		// A Slurm job script runs for its first and last array task.
		envs := []map[string]string{{}}
		for _, c := range b.comments {
			if m := sbatchAr.FindStringSubmatch(c); m != nil {
				envs = []map[string]string{{"SLURM_ARRAY_TASK_ID": m[1]}, {"SLURM_ARRAY_TASK_ID": m[2]}}
			}
		}
		t.Run(fmt.Sprintf("line%d", b.line), func(t *testing.T) {
			tmp := t.TempDir()
			copyTree(t, filepath.Join(repoRoot, "experiments", "data"), filepath.Join(tmp, "experiments", "data"))
			specs, err := filepath.Glob(filepath.Join(repoRoot, "experiments", "*.toml"))
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range specs {
				b, err := os.ReadFile(s)
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(tmp, "experiments", filepath.Base(s)), b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			written := map[string]bool{"results/baseline": true}
			for _, ex := range b.examples {
				args, _ := gradbenchArgs(ex.words)
				for _, d := range writtenBy(args) {
					written[filepath.ToSlash(d)] = true
				}
			}
			committed, err := os.ReadDir(filepath.Join(repoRoot, "results"))
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range committed {
				if e.IsDir() && !written["results/"+e.Name()] {
					copyTree(t, filepath.Join(repoRoot, "results", e.Name()), filepath.Join(tmp, "results", e.Name()))
				}
			}
			t.Chdir(tmp)
			for _, env := range envs {
				for _, ex := range b.examples {
					switch readmeRule(ex.words) {
					case ruleRun:
						words, err := expand(ex.words, env, tmp)
						if err != nil {
							t.Fatalf("README.md:%d: %v", ex.line, err)
						}
						args, _ := gradbenchArgs(words)
						runReadmeExample(t, ex, args)
						ran++
					case ruleParallel:
						i := slices.Index(ex.words, ":::")
						vals, err := expand(ex.words[i+1:], env, tmp)
						if err != nil {
							t.Fatalf("README.md:%d: %v", ex.line, err)
						}
						if m := seqSubst.FindStringSubmatch(strings.Join(ex.words[i+1:], " ")); m != nil {
							lo, _ := strconv.Atoi(m[1])
							hi, _ := strconv.Atoi(m[2])
							vals = nil
							for v := lo; v <= hi; v++ {
								vals = append(vals, strconv.Itoa(v))
							}
						}
						for _, v := range vals {
							job := make([]string, i-1)
							for k, w := range ex.words[1:i] {
								job[k] = strings.ReplaceAll(w, "{}", v)
							}
							words, err := expand(job, env, tmp)
							if err != nil {
								t.Fatalf("README.md:%d: %v", ex.line, err)
							}
							args, _ := gradbenchArgs(words)
							runReadmeExample(t, ex, args)
							ran++
						}
					default:
						t.Logf("README.md:%d: skipped (%s rule): %s", ex.line, readmeRule(ex.words), ex.text)
					}
				}
			}
		})
	}
	if ran == 0 {
		t.Error("no README example ran")
	}
}

// arrow matches the "→ PATH" of a command's comment: what it writes.
var arrow = regexp.MustCompile(`→ (\S+)`)

// runReadmeExample runs one gradbench command of the README in-process.
func runReadmeExample(t *testing.T, ex readmeExample, args []string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	start := time.Now()
	st := Status(Run(&stdout, &stderr, args), &stderr)
	t.Logf("README.md:%d: gradbench %s: status %d in %v", ex.line, strings.Join(args, " "), st, time.Since(start).Round(time.Millisecond))
	if st != ExitOK {
		t.Errorf("README.md:%d: %s\n  gradbench %s: exit status %d, want 0\n%s", ex.line, ex.text, strings.Join(args, " "), st, stderr.String())
		return
	}
	if ex.want != nil && strings.TrimRight(stdout.String(), "\n") != strings.TrimRight(*ex.want, "\n") {
		t.Errorf("README.md:%d: %s: the output is not the one the README shows:\n--- README\n%s\n--- got\n%s", ex.line, ex.text, *ex.want, stdout.String())
	}
	if m := arrow.FindStringSubmatch(ex.note); m != nil {
		if _, err := os.Stat(m[1]); err != nil {
			t.Errorf("README.md:%d: %s: the comment says it writes %s: %v", ex.line, ex.text, m[1], err)
		}
	}
}

// TestParseReadme checks the extraction of shell examples on a small
// Markdown text: blocks by info string, continuation lines, comments,
// quotes, "$ " lines with their output, and the rules.
func TestParseReadme(t *testing.T) {
	t.Parallel()
	const md = "Intro\n\n```sh\n" +
		"make test   # the tests\n" +
		"go run ./cmd/gradbench run -q \\\n  -o 'out dir' demo.toml  # → out/\n" +
		"# a comment\n" +
		"```\n\n```go\nfmt.Println()\n```\n\n" +
		"```console\n$ gradbench version -h\nUsage: gradbench version\n\nprint it\n$ sbatch job.sh\n```\n" +
		"$ gradbench help\n"
	blocks, err := parseReadme(md)
	if err != nil {
		t.Fatal(err)
	}
	if len(blocks) != 3 {
		t.Fatalf("%d blocks, want 3: %+v", len(blocks), blocks)
	}
	b := blocks[0]
	if len(b.examples) != 2 || len(b.comments) != 1 || b.examples[1].line != 5 {
		t.Fatalf("first block: %+v", b)
	}
	ex := b.examples[1]
	if want := []string{"go", "run", "./cmd/gradbench", "run", "-q", "-o", "out dir", "demo.toml"}; !slices.Equal(ex.words, want) || ex.note != "→ out/" {
		t.Errorf("continued line: words %q, note %q", ex.words, ex.note)
	}
	if r := readmeRule(b.examples[0].words); r != ruleMake {
		t.Errorf("make: rule %q", r)
	}
	c := blocks[1].examples
	if len(c) != 2 || c[0].want == nil || *c[0].want != "Usage: gradbench version\n\nprint it" || readmeRule(c[1].words) != ruleCluster {
		t.Errorf("console block: %+v", c)
	}
	if len(blocks[2].examples) != 1 || readmeRule(blocks[2].examples[0].words) != ruleRun {
		t.Errorf("$ line outside blocks: %+v", blocks[2])
	}
	if r := readmeRule([]string{"parallel", "gradbench", "run", "-shard", "{}/2", ":::", "0", "1"}); r != ruleParallel {
		t.Errorf("parallel: rule %q", r)
	}
	if r := readmeRule([]string{"rm", "-rf", "results"}); r != "" {
		t.Errorf("rm: rule %q, want none (the test fails on it)", r)
	}
	got, err := expand([]string{"-shard", "${I}/32", "/tmp/fig", "nothing*matches"}, map[string]string{"I": "3"}, "T")
	if want := []string{"-shard", "3/32", filepath.Join("T", "tmp", "fig"), "nothing*matches"}; err != nil || !slices.Equal(got, want) {
		t.Errorf("expand: %q, %v; want %q", got, err, want)
	}
	if _, err := expand([]string{"$UNSET"}, nil, "T"); err == nil {
		t.Error("expand of an unset variable: no error")
	}
}
