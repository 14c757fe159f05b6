//go:build race

package zstack_test

// raceEnabled: the race detector's shadow memory multiplies what every allocation costs in RSS.
const raceEnabled = true
