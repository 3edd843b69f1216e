package room

import (
	"net"
	"testing"
	"time"
)

// The media socket's writes (what pion's UDP mux sends) go through the
// batch Writer: inside a fan-out bracket they leave together at its end,
// outside one at once.
func TestMediaWritesAreBatchedPerFanOut(t *testing.T) {
	m, err := NewMedia(MediaOptions{ListenIPs: []string{"127.0.0.1"}, IncludeLoopback: true})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = m.Close() }()
	if len(m.batch) != 1 {
		t.Fatalf("%d batch writers for one address", len(m.batch))
	}
	peer, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	to := peer.LocalAddr().(*net.UDPAddr).AddrPort()
	conn := &admissionConn{a: m.admission, out: m.batch[0]}

	if _, err := conn.WriteToAddrPort([]byte("stun"), to); err != nil {
		t.Fatal(err)
	}
	m.Batch().Begin()
	for _, p := range []string{"rtp1", "rtp2", "rtp3"} {
		if _, err := conn.WriteTo([]byte(p), net.UDPAddrFromAddrPort(to)); err != nil {
			t.Fatal(err)
		}
	}
	if st := m.SendStats(); st.Direct != 1 || st.Batches != 0 {
		t.Fatalf("inside the fan-out: %+v", st)
	}
	m.Batch().End()
	if st := m.SendStats(); st.Batches != 1 || st.Batched != 3 || st.Errors != 0 {
		t.Fatalf("after the fan-out: %+v", st)
	}
	buf := make([]byte, 64)
	for _, want := range []string{"stun", "rtp1", "rtp2", "rtp3"} {
		_ = peer.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, err := peer.Read(buf)
		if err != nil || string(buf[:n]) != want {
			t.Fatalf("got %q, %v; want %q", buf[:n], err, want)
		}
	}
}
