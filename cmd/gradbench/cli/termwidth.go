package cli

import (
	"io"
	"os"
	"strconv"
	"strings"
)

// widthUsage is the usage of the -width flag of commands that print text
// tables fitted to the terminal.
const widthUsage = "fit text output to `N` columns, wrapping cells or listing rows vertically (0: the full width; default: $COLUMNS, else the terminal's width, else the full width)"

// widthAuto is the default of -width: fit text to $COLUMNS, else to the
// terminal, else the full width (see textWidth).
const widthAuto = -1

// textWidth returns the width text tables are fitted to: flag when it is 0
// or more (0 meaning no limit), else $COLUMNS if it is a positive integer,
// else the width of the terminal stdout writes to, else 0.
func textWidth(stdout io.Writer, flag int) int {
	if flag >= 0 {
		return flag
	}
	if n, err := strconv.Atoi(strings.TrimSpace(os.Getenv("COLUMNS"))); err == nil && n > 0 {
		return n
	}
	if f, ok := stdout.(*os.File); ok {
		return terminalWidth(f)
	}
	return 0
}
