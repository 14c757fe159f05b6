package zstack

import (
	"sync"

	"cloudbroker/broker"
)

// Every inventory a query renders derives its zone, cluster, NIC, IP, L3, volume and storage
// uuids by sha256 (nameUUID), several per VM and the same ones on every request: they are
// remembered here, keyed by the hash's input, in two bounded generations (a full one becomes
// the old one, whose hits move to the new), so memory stays bounded however many resources
// come and go.

// uuidMemoSize bounds each generation: room for the uuids of the VMs a few pages show.
const uuidMemoSize = 1 << 14

type uuidMemo struct {
	mu       sync.RWMutex
	cur, old map[string]string
}

var derivedUUIDs = &uuidMemo{cur: make(map[string]string, uuidMemoSize)}

// derive returns broker.DerivedUUID(kind, parts...), computing it once while it is remembered.
func (m *uuidMemo) derive(kind string, parts []string) string {
	var buf [192]byte
	key := append(buf[:0], kind...)
	for _, p := range parts {
		key = append(append(key, 0), p...) // DerivedUUID's own join
	}
	m.mu.RLock()
	u, hit := m.cur[string(key)] // no copy of key for a lookup
	if !hit {
		u = m.old[string(key)]
	}
	m.mu.RUnlock()
	if hit {
		return u
	}
	if u == "" { // not in the old generation either
		u = broker.DerivedUUID(append([]string{kind}, parts...)...)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.cur) >= uuidMemoSize {
		m.old, m.cur = m.cur, make(map[string]string, uuidMemoSize)
	}
	m.cur[string(key)] = u
	return u
}
