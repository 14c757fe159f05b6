//go:build !race

package zstack_test

const raceEnabled = false
