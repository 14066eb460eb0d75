//go:build !(linux || darwin)

package cli

import "os"

// terminalWidth returns 0: on this platform the terminal's width is not
// queried (set $COLUMNS or -width instead).
func terminalWidth(*os.File) int { return 0 }
