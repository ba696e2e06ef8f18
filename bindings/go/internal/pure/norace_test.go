//go:build linux && !race

package pure

const raceEnabled = false
