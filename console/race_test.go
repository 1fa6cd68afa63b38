//go:build race

package console_test

// raceDetector: the race detector slows the server several times over,
// so timing bounds do not hold under it (sizes still do).
const raceDetector = true
