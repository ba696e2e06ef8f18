//go:build linux && race

package pure

// raceEnabled: the race detector slows decoding about tenfold, so the
// tests decode the 8 MiB kernel fewer times under it.
const raceEnabled = true
