package kvm_test

import (
	"errors"
	"io"
	"net"
	"path/filepath"
	"sync"
	"testing"
)

// proxy is a unix socket in front of libvirtd that a test can cut or stall, to see the driver
// reconnect and time out without disturbing the machine's one shared daemon.
type proxy struct {
	path   string
	target string
	ln     net.Listener
	held   chan struct{} // a client->daemon read was held back while frozen

	mu       sync.Mutex
	conns    []net.Conn
	accepted int
	frozen   bool
	thaw     chan struct{}
}

func startProxy(t *testing.T, target string) *proxy {
	t.Helper()
	p := &proxy{path: filepath.Join(t.TempDir(), "proxy.sock"), target: target, held: make(chan struct{}, 16)}
	ln, err := net.Listen("unix", p.path)
	if err != nil {
		t.Fatal(err)
	}
	p.ln = ln
	go p.serve()
	t.Cleanup(func() {
		ln.Close()
		p.unfreeze()
		p.drop()
	})
	return p
}

func (p *proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		up, err := net.Dial("unix", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, up)
		p.accepted++
		p.mu.Unlock()
		go p.pipe(up, c, true)
		go p.pipe(c, up, false)
	}
}

// pipe copies src to dst; client->daemon traffic waits while the proxy is frozen.
func (p *proxy) pipe(dst, src net.Conn, fromClient bool) {
	defer dst.Close()
	buf := make([]byte, 64<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 && fromClient {
			p.mu.Lock()
			frozen, thaw := p.frozen, p.thaw
			p.mu.Unlock()
			if frozen {
				select {
				case p.held <- struct{}{}:
				default:
				}
				<-thaw
			}
		}
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				src.Close()
			}
			return
		}
	}
}

// drop closes every proxied connection, as a daemon restart or a network cut would.
func (p *proxy) drop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

func (p *proxy) freeze() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.frozen {
		p.frozen, p.thaw = true, make(chan struct{})
	}
}

func (p *proxy) unfreeze() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.frozen {
		p.frozen = false
		close(p.thaw)
	}
}

func (p *proxy) connections() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.accepted
}
