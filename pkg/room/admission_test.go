package room

import (
	"encoding/binary"
	"net/netip"
	"testing"
)

// stunRequest builds a STUN binding request with USERNAME "local:remote".
func stunRequest(username string) []byte {
	attr := make([]byte, 4+len(username)+(4-len(username)%4)%4)
	binary.BigEndian.PutUint16(attr[0:2], 0x0006)
	binary.BigEndian.PutUint16(attr[2:4], uint16(len(username)))
	copy(attr[4:], username)
	b := make([]byte, 20, 20+len(attr))
	binary.BigEndian.PutUint16(b[0:2], 0x0001)
	binary.BigEndian.PutUint16(b[2:4], uint16(len(attr)))
	binary.BigEndian.PutUint32(b[4:8], 0x2112A442)
	return append(b, attr...)
}

func TestStunLocalUfrag(t *testing.T) {
	if u, ok := stunLocalUfrag(stunRequest("abcd:wxyz")); !ok || u != "abcd" {
		t.Errorf("got %q %v", u, ok)
	}
	for name, b := range map[string][]byte{
		"rtp":       {0x80, 0x60, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4, 5, 6, 7, 8},
		"short":     {0, 1, 0, 0},
		"truncated": stunRequest("abcd:wxyz")[:26],
		"no cookie": append([]byte{0, 1, 0, 0, 1, 2, 3, 4}, make([]byte, 12)...),
	} {
		if u, ok := stunLocalUfrag(b); ok {
			t.Errorf("%s: found ufrag %q", name, u)
		}
	}
}

func TestAdmission(t *testing.T) {
	a := newAdmission()
	peer := netip.MustParseAddrPort("127.0.0.1:40000")
	stranger := netip.MustParseAddrPort("127.0.0.1:40001")
	a.add("node1")
	a.observe(stunRequest("node1:client"), peer) // admits peer
	a.observe([]byte{0x80, 0x60, 0, 1}, peer)    // its media: known
	a.observe(stunRequest("guess:client"), stranger)
	a.observe([]byte{0x80, 0x60, 0, 1}, stranger)
	if got := a.dropped.Load(); got != 2 {
		t.Fatalf("dropped %d, want the stranger's 2", got)
	}
	a.remove("node1") // the connection closed: its address is a stranger now
	a.observe([]byte{0x80, 0x60, 0, 1}, peer)
	if got := a.dropped.Load(); got != 3 {
		t.Fatalf("dropped %d after release, want 3", got)
	}
}
