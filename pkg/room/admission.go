package room

import (
	"encoding/binary"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/switchyard-sfu/switchyard/pkg/udpbatch"
)

// admission watches every datagram that reaches the media port. pion's ICE
// mux already delivers only packets of known connections (a remote address
// is learned from a STUN binding request carrying a connection's ICE
// credentials; anything else is dropped); admission counts what it drops:
// datagrams from 5-tuples no connection created through Join has admitted.
type admission struct {
	mu      sync.RWMutex
	ufrags  map[string]int            // local ICE ufrag of a live connection -> references
	addrs   map[netip.AddrPort]string // admitted remote address -> the ufrag that admitted it
	dropped atomic.Uint64
}

func newAdmission() *admission {
	return &admission{ufrags: map[string]int{}, addrs: map[netip.AddrPort]string{}}
}

// observe classifies one received datagram; it runs on the mux's read
// goroutine, so the known-address path is one read-locked map lookup.
func (a *admission) observe(b []byte, from netip.AddrPort) {
	a.mu.RLock()
	_, known := a.addrs[from]
	a.mu.RUnlock()
	if known {
		return
	}
	if ufrag, ok := stunLocalUfrag(b); ok {
		a.mu.Lock()
		if a.ufrags[ufrag] > 0 {
			a.addrs[from] = ufrag
			a.mu.Unlock()
			return
		}
		a.mu.Unlock()
	}
	a.dropped.Add(1)
}

// add admits the ICE credentials of a connection; remove forgets them and
// the addresses they admitted.
func (a *admission) add(ufrag string) {
	if ufrag == "" {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.ufrags[ufrag]++
}

func (a *admission) remove(ufrag string) {
	if ufrag == "" {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.ufrags[ufrag]--; a.ufrags[ufrag] > 0 {
		return
	}
	delete(a.ufrags, ufrag)
	for addr, u := range a.addrs {
		if u == ufrag {
			delete(a.addrs, addr)
		}
	}
}

// stunLocalUfrag returns the local part ("local:remote") of the USERNAME of
// a STUN message, without allocating unless one is found.
func stunLocalUfrag(b []byte) (string, bool) {
	const header, cookie, username = 20, 0x2112A442, 0x0006
	if len(b) < header || b[0]&0xc0 != 0 || binary.BigEndian.Uint32(b[4:8]) != cookie {
		return "", false
	}
	n := int(binary.BigEndian.Uint16(b[2:4]))
	if header+n > len(b) {
		return "", false
	}
	for p := header; p+4 <= header+n; {
		typ := binary.BigEndian.Uint16(b[p : p+2])
		l := int(binary.BigEndian.Uint16(b[p+2 : p+4]))
		if p+4+l > header+n {
			return "", false
		}
		if typ == username {
			u, _, _ := strings.Cut(string(b[p+4:p+4+l]), ":")
			return u, u != ""
		}
		p += 4 + (l+3)&^3
	}
	return "", false
}

// admissionConn is the media socket as pion's UDP mux uses it: every
// datagram read is shown to admission first, and every datagram written goes
// through out, which batches the copies of one fan-out into one sendmmsg.
// It keeps pion's allocation-free AddrPort path.
type admissionConn struct {
	*net.UDPConn
	a   *admission
	out *udpbatch.Writer
}

func (c *admissionConn) ReadFromAddrPort(b []byte) (int, netip.AddrPort, error) {
	n, from, err := c.UDPConn.ReadFromUDPAddrPort(b)
	if err == nil {
		c.a.observe(b[:n], from)
	}
	return n, from, err
}

func (c *admissionConn) WriteToAddrPort(b []byte, to netip.AddrPort) (int, error) {
	return c.out.WriteToAddrPort(b, to)
}

func (c *admissionConn) WriteTo(b []byte, to net.Addr) (int, error) {
	return c.out.WriteTo(b, to)
}

func (c *admissionConn) ReadFrom(b []byte) (int, net.Addr, error) {
	n, from, err := c.UDPConn.ReadFromUDPAddrPort(b)
	if err != nil {
		return n, nil, err
	}
	c.a.observe(b[:n], from)
	return n, net.UDPAddrFromAddrPort(from), nil
}
