package forwarder

import (
	"bytes"
	"testing"
)

func cacheGet(t *testing.T, c *packetCache, seq uint16) ([]byte, bool) {
	t.Helper()
	buf := make([]byte, slotSize)
	n, ok := c.Get(seq, buf)
	return buf[:n], ok
}

func TestCacheSizeRoundsToPowerOfTwo(t *testing.T) {
	for _, tc := range []struct{ in, want int }{{0, 1}, {1, 1}, {3, 4}, {64, 64}, {1000, 1024}, {1 << 20, maxCacheSize}} {
		if got := newPacketCache(tc.in).size(); got != tc.want {
			t.Errorf("newPacketCache(%d).size() = %d, want %d", tc.in, got, tc.want)
		}
	}
}

func TestCacheWrapAround(t *testing.T) {
	c := newPacketCache(8)
	// 65530 .. 65535, 0 .. 3: the 16-bit sequence number wraps mid-window.
	for i := range 10 {
		seq := uint16(65530 + i)
		if c.Put(seq, []byte{byte(i), 0xAB}) != putStored {
			t.Fatalf("Put(%d) refused", seq)
		}
	}
	for i := 2; i < 10; i++ { // the last 8 are in the window
		seq := uint16(65530 + i)
		got, ok := cacheGet(t, c, seq)
		if !ok || !bytes.Equal(got, []byte{byte(i), 0xAB}) {
			t.Errorf("Get(%d) = %x, %v; want %x", seq, got, ok, []byte{byte(i), 0xAB})
		}
	}
	for _, seq := range []uint16{65530, 65531, 4, 100, 32000} {
		if _, ok := cacheGet(t, c, seq); ok {
			t.Errorf("Get(%d) hit, want miss (outside window or not received)", seq)
		}
	}
}

func TestCacheStaleSlot(t *testing.T) {
	c := newPacketCache(4)
	c.Put(10, []byte{10})
	c.Put(12, []byte{12})
	// 14 shares slot 2 with 10 and evicts it; 11 and 13 were lost.
	c.Put(14, []byte{14})
	if _, ok := cacheGet(t, c, 10); ok {
		t.Error("Get(10) hit after its slot was reused by 14")
	}
	if _, ok := cacheGet(t, c, 11); ok {
		t.Error("Get(11) hit but 11 was never put")
	}
	if got, ok := cacheGet(t, c, 14); !ok || got[0] != 14 {
		t.Errorf("Get(14) = %x, %v", got, ok)
	}
	// A big jump forward leaves only stale slots behind.
	c.Put(1000, []byte{0xE8})
	for _, seq := range []uint16{12, 14} {
		if _, ok := cacheGet(t, c, seq); ok {
			t.Errorf("Get(%d) hit after a jump past the window", seq)
		}
	}
	// Exactly 65536 packets later the same 16-bit number is a different packet.
	c2 := newPacketCache(4)
	c2.Put(5, []byte{1})
	for s := 6; s <= 65536+5; s += 3 {
		c2.Put(uint16(s), []byte{2})
	}
	if got, ok := cacheGet(t, c2, 5); ok && got[0] == 1 {
		t.Error("Get(5) returned the packet from one 16-bit cycle ago")
	}
}

func TestCacheReorderedAndTooOld(t *testing.T) {
	c := newPacketCache(8)
	c.Put(100, []byte{100})
	c.Put(102, []byte{102})
	if c.Put(101, []byte{101}) != putStored { // late, within the window
		t.Fatal("late Put(101) refused")
	}
	if got, ok := cacheGet(t, c, 101); !ok || got[0] != 101 {
		t.Errorf("Get(101) = %x, %v", got, ok)
	}
	c.Put(110, []byte{110})
	if c.Put(101, []byte{1}) != putTooOld { // 9 behind with 8 slots: would evict 109's slot
		t.Error("Put of a packet older than the window accepted")
	}
	if _, ok := cacheGet(t, c, 111); ok {
		t.Error("Get of a future sequence number hit")
	}
}

func TestCacheLimits(t *testing.T) {
	c := newPacketCache(4)
	if _, ok := cacheGet(t, c, 0); ok {
		t.Error("Get on an empty cache hit")
	}
	if c.Put(1, make([]byte, slotSize+1)) != putTooBig {
		t.Error("oversized packet stored")
	}
	c.Put(2, []byte{1, 2, 3})
	if _, ok := c.Get(2, make([]byte, 2)); ok {
		t.Error("Get into a too-small buffer succeeded")
	}
}

func BenchmarkCachePut(b *testing.B) {
	c := newPacketCache(1024)
	p := make([]byte, 1200)
	b.ReportAllocs()
	b.SetBytes(int64(len(p)))
	for i := 0; b.Loop(); i++ {
		c.Put(uint16(i), p)
	}
}

func BenchmarkCacheGet(b *testing.B) {
	c := newPacketCache(1024)
	p := make([]byte, 1200)
	for i := range 1024 {
		c.Put(uint16(i), p)
	}
	dst := make([]byte, slotSize)
	b.ReportAllocs()
	b.SetBytes(int64(len(p)))
	for i := 0; b.Loop(); i++ {
		if _, ok := c.Get(uint16(i&1023), dst); !ok {
			b.Fatal("miss")
		}
	}
}

func TestCacheDetectsDuplicates(t *testing.T) {
	c := newPacketCache(8)
	for _, tc := range []struct {
		seq  uint16
		want putResult
	}{{100, putStored}, {100, putDuplicate}, {102, putStored}, {101, putStored}, {101, putDuplicate}, {102, putDuplicate}, {103, putStored}} {
		if got := c.Put(tc.seq, []byte{byte(tc.seq)}); got != tc.want {
			t.Errorf("Put(%d) = %d, want %d", tc.seq, got, tc.want)
		}
	}
}
