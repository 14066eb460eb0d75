// Package cli is the gradbench command-line tool as a library: Main runs it
// on the process's arguments, Run on explicit ones (for tests).
//
// An out-of-tree estimator gets the whole tool with a three-line main that
// blank-imports the package registering it and calls cli.Main:
//
//	package main
//
//	import (
//		"github.com/gradbench/gradbench/cmd/gradbench/cli"
//		_ "example.com/myestimator"
//	)
//
//	func main() { cli.Main() }
//
// Subcommands register themselves from their own files, so a new subcommand
// is one new file.
package cli

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"runtime/debug"
	"slices"
	"strings"
)

// Exit statuses, the same in every command (README.md has the table).
const (
	ExitOK = 0 // success
	// ExitFailure: the command ran and failed: a run with a failed cell or
	// interrupted, a check that found a regression, a refused baseline, an
	// output (file, folder, stdout) that could not be written.
	ExitFailure = 1
	// ExitUsageError: a usage error or bad input, found before anything
	// is written: flags, arguments, a spec, a missing or malformed results,
	// shard or baseline folder, an output folder that holds other results.
	ExitUsageError = 2
)

// UsageError is an error in what the user asked for: bad flags or
// arguments, or bad input (a spec, a results, shard or baseline folder
// that is missing, malformed or does not fit). Main exits with status 2
// for it; any other error gives status 1.
type UsageError struct{ Err error }

// Error returns the message of the underlying error.
func (e *UsageError) Error() string { return e.Err.Error() }

// Unwrap returns the underlying error.
func (e *UsageError) Unwrap() error { return e.Err }

// usagef returns a *UsageError with a formatted message.
func usagef(format string, args ...any) error {
	return &UsageError{Err: fmt.Errorf(format, args...)}
}

// command is one subcommand.
type command struct {
	name    string
	args    string // synopsis of the arguments, e.g. "[-o DIR] SPEC..."
	summary string
	run     func(stdout, stderr io.Writer, args []string) error
}

var commands = map[string]*command{}

// register adds a subcommand; it panics on a duplicate name.
func register(c *command) {
	if _, dup := commands[c.name]; dup {
		panic("cli: duplicate command " + c.name)
	}
	commands[c.name] = c
}

// Main runs the tool with os.Args and exits with its status.
func Main() {
	os.Exit(Status(Run(os.Stdout, os.Stderr, os.Args[1:]), os.Stderr))
}

// Status prints err (if any) to stderr and returns the exit status for it:
// 0 for nil, 2 for a *UsageError, 1 otherwise.
func Status(err error, stderr io.Writer) int {
	if err == nil {
		return ExitOK
	}
	fmt.Fprintln(stderr, "gradbench:", err)
	var ue *UsageError
	if errors.As(err, &ue) {
		return ExitUsageError
	}
	return ExitFailure
}

// Run runs the tool with the given arguments (without the program name),
// writing output to stdout and diagnostics to stderr.
func Run(stdout, stderr io.Writer, args []string) error {
	if len(args) == 0 {
		usage(stderr)
		return usagef("no command given")
	}
	name := args[0]
	switch name {
	case "-h", "-help", "--help":
		name = "help"
	}
	c, ok := commands[name]
	if !ok {
		return unknown(args[0])
	}
	return c.run(stdout, stderr, args[1:])
}

// unknown is the error for an unknown command name: one line, with where
// to look.
func unknown(name string) error {
	return usagef("unknown command %q (run \"gradbench help\" for the commands)", name)
}

// helpRequested reports whether args ask a command without flags for its
// help, and if so prints it.
func helpRequested(w io.Writer, c *command, args []string) bool {
	if len(args) != 1 || (args[0] != "-h" && args[0] != "-help" && args[0] != "--help") {
		return false
	}
	fmt.Fprintf(w, "Usage: %s\n\n%s\n", strings.TrimSpace("gradbench "+c.name+" "+c.args), c.summary)
	return true
}

// usage writes the list of commands to w and returns the error of the
// write.
func usage(w io.Writer) error {
	var b strings.Builder
	b.WriteString("gradbench benchmarks Monte Carlo gradient estimators.\n\nUsage:\n\n")
	names := slices.Sorted(maps.Keys(commands))
	width := 0
	for _, name := range names {
		width = max(width, len(name))
	}
	for _, name := range names {
		c := commands[name]
		line := strings.TrimRight(fmt.Sprintf("  gradbench %-*s %s", width, c.name, c.args), " ")
		fmt.Fprintf(&b, "%s\n  %10s %s\n", line, "", c.summary)
	}
	b.WriteString("\nRun \"gradbench help COMMAND\" or \"gradbench COMMAND -h\" for a command's flags.\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func init() {
	register(&command{
		name:    "help",
		args:    "[COMMAND]",
		summary: "show this help, or a command's help",
		run: func(stdout, stderr io.Writer, args []string) error {
			switch {
			case len(args) == 0, args[0] == "help", args[0] == "-h", args[0] == "-help", args[0] == "--help":
				return usage(stdout)
			case len(args) > 1:
				return usagef("help takes one command name, got %d arguments", len(args))
			}
			c, ok := commands[args[0]]
			if !ok {
				return unknown(args[0])
			}
			// The help was asked for: it goes to stdout (COMMAND -h
			// prints it to stderr, as the flag package does).
			return c.run(stdout, stdout, []string{"-h"})
		},
	})
	register(&command{
		name:    "version",
		summary: "print the version, Go version and platform",
		run: func(stdout, _ io.Writer, args []string) error {
			if helpRequested(stdout, commands["version"], args) {
				return nil
			}
			if len(args) > 0 {
				return usagef("version takes no arguments")
			}
			_, err := fmt.Fprintln(stdout, VersionString())
			return err
		},
	})
}

// VersionString returns the module version (or the VCS revision of a
// development build), the Go version and the platform.
func VersionString() string {
	version, rev := "(devel)", ""
	goVersion := "unknown"
	if bi, ok := debug.ReadBuildInfo(); ok {
		goVersion = bi.GoVersion
		if bi.Main.Version != "" {
			version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				rev = s.Value
			}
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "gradbench %s", version)
	if rev != "" {
		fmt.Fprintf(&b, " (%.12s)", rev)
	}
	fmt.Fprintf(&b, " %s", goVersion)
	return b.String()
}
