// Package netdelay puts a TCP link with a fixed one-way delay in front of a server, for
// benchmarks that should see a network's round trips rather than loopback's: every byte
// arrives d after it was sent, in order, without limiting throughput.
package netdelay

import (
	"net"
	"testing"
	"time"
)

// Start listens on 127.0.0.1 and forwards each connection to target, delaying each direction
// by d. It stops when the test ends. It returns the address to dial instead of target.
func Start(t testing.TB, target string, d time.Duration) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go link(c, target, d)
		}
	}()
	return ln.Addr().String()
}

func link(c net.Conn, target string, d time.Duration) {
	s, err := net.Dial("tcp", target)
	if err != nil {
		c.Close()
		return
	}
	go pipe(s, c, d)
	pipe(c, s, d)
}

// chunk is what one read returned, and when.
type chunk struct {
	at   time.Time
	data []byte
}

// pipe copies from src to dst, each chunk d after it was read; it closes both at the end.
func pipe(dst, src net.Conn, d time.Duration) {
	line := make(chan chunk, 4096)
	go func() {
		defer close(line)
		for {
			buf := make([]byte, 32<<10)
			n, err := src.Read(buf)
			if n > 0 {
				line <- chunk{time.Now(), buf[:n]}
			}
			if err != nil {
				return
			}
		}
	}()
	for c := range line {
		time.Sleep(time.Until(c.at.Add(d)))
		if _, err := dst.Write(c.data); err != nil {
			break
		}
	}
	dst.Close()
	src.Close()
	for range line { // the reader ends now that src is closed; it must not block on line
	}
}
