package room

import (
	"slices"
	"testing"
	"time"

	"github.com/pion/rtp"
)

// vp8Keyframe is a one-packet VP8 keyframe on ssrc.
func vp8Keyframe(t *testing.T, ssrc uint32, seq uint16) []byte {
	t.Helper()
	p := rtp.Packet{
		Header: rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: seq, Timestamp: uint32(seq) * 3000, SSRC: ssrc, Marker: true},
		// Descriptor with the start bit, then a keyframe's payload header
		// (P bit clear) and start code.
		Payload: []byte{0x10, 0x50, 0x42, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0x68, 0x01},
	}
	raw, err := p.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// A layer a subscription still forwards while it waits for the keyframe of
// the layer it switches to stays in LayersNeeded until the switch
// completes, so that a meeting service pausing unused layers does not
// freeze the picture; a paused DownTrack forwards nothing and needs
// nothing.
func TestLayersNeededKeepsTheLayerStillForwarded(t *testing.T) {
	t0 := time.Unix(1000, 0)
	now := func() time.Time { return t0 }
	alice := uint32(1<<8 | 1)
	a := newAutoRoom(t, now)
	a.r.conns = map[string]*Connection{a.rx.id: a.rx}
	a.bind(t)
	sub := a.subs["tr-alice"]
	top, base := sub.src.layerReceiver(2), sub.src.layerReceiver(0)
	stillForwarded := func(planned ...int) []int {
		needed := map[uint32][]int{alice: planned}
		a.r.addStillForwarded(needed)
		slices.Sort(needed[alice])
		return needed[alice]
	}

	// Forwarding the top layer, planned on it: nothing more.
	sub.target = top
	sub.down.SwitchTo(top)
	top.HandlePacket(vp8Keyframe(t, alice+2, 1))
	if sub.down.Source() != top {
		t.Fatal("the top layer's keyframe did not complete the switch")
	}
	if got := stillForwarded(2); !slices.Equal(got, []int{2}) {
		t.Errorf("forwarding what is planned: needed %v, want [2]", got)
	}

	// Planned down to the base layer, which has sent no keyframe yet: the
	// top layer is still what the receiver sees.
	sub.target = base
	sub.down.SwitchTo(base)
	if got := stillForwarded(0); !slices.Equal(got, []int{0, 2}) {
		t.Errorf("while switching: needed %v, want [0 2]", got)
	}
	sub.down.SetPaused(true)
	if got := stillForwarded(); len(got) != 0 {
		t.Errorf("paused while switching: needed %v, want none", got)
	}
	sub.down.SetPaused(false)

	base.HandlePacket(vp8Keyframe(t, alice, 1))
	if sub.down.Source() != base {
		t.Fatal("the base layer's keyframe did not complete the switch")
	}
	if got := stillForwarded(0); !slices.Equal(got, []int{0}) {
		t.Errorf("after the switch: needed %v, want [0]", got)
	}
}
