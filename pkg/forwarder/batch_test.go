package forwarder

import (
	"fmt"
	"testing"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// traceBatch records Begin, End and the writes between them, so a test sees
// whether every copy of a packet was written inside one bracket.
type traceBatch struct {
	open   bool
	events []string
}

func (b *traceBatch) Begin() {
	if b.open {
		b.events = append(b.events, "nested Begin")
	}
	b.open = true
	b.events = append(b.events, "begin")
}

func (b *traceBatch) End() {
	if !b.open {
		b.events = append(b.events, "End without Begin")
	}
	b.open = false
	b.events = append(b.events, "end")
}

// batchWriter is a TrackLocalWriter that notes each write in its batch's
// trace, and whether it came inside a bracket.
type batchWriter struct {
	b    *traceBatch
	ssrc uint32
}

func (w batchWriter) WriteRTP(h *rtp.Header, payload []byte) (int, error) {
	where := "outside"
	if w.b.open {
		where = "inside"
	}
	w.b.events = append(w.b.events, fmt.Sprintf("write %d %s", h.SSRC, where))
	return h.MarshalSize() + len(payload), nil
}

func (w batchWriter) Write(b []byte) (int, error) { return len(b), nil }

// Every fan-out is bracketed once by the Receiver's Batcher, with all its
// writes inside; a packet no DownTrack takes (none attached, or dropped by
// all) costs at most an empty bracket, and garbage none.
func TestFanOutIsBracketedByBatcher(t *testing.T) {
	tb := &traceBatch{}
	r := NewReceiver(ReceiverOptions{Kind: webrtc.RTPCodecTypeAudio, SSRC: upSSRC, Codec: upOpus, Batch: tb})
	opus := func(seq uint16) []byte {
		return pkt{seq: seq, ts: uint32(seq) * 960, pt: 111, payload: opusPayload, audioLevel: -1}.build(t)
	}
	r.HandlePacket(opus(1))
	if len(tb.events) != 0 {
		t.Fatalf("a packet with no DownTracks: %v", tb.events)
	}
	for i := range 3 {
		d, err := NewDownTrack(DownTrackOptions{ID: fmt.Sprint("a", i), Receiver: r})
		if err != nil {
			t.Fatal(err)
		}
		ssrc := uint32(100 + i)
		if _, err := d.Bind(&fakeContext{codecs: downAudioCodecs, ssrc: webrtc.SSRC(ssrc), writer: batchWriter{b: tb, ssrc: ssrc}}); err != nil {
			t.Fatal(err)
		}
		r.AddDownTrack(d)
	}
	r.HandlePacket(opus(2))
	r.HandlePacket([]byte{0x00, 0x01}) // garbage: no bracket
	r.HandlePacket(opus(3))
	want := []string{
		"begin", "write 100 inside", "write 101 inside", "write 102 inside", "end",
		"begin", "write 100 inside", "write 101 inside", "write 102 inside", "end",
	}
	if fmt.Sprint(tb.events) != fmt.Sprint(want) {
		t.Fatalf("events\n got %v\nwant %v", tb.events, want)
	}
}

// The bracket adds no allocation to the forward path.
func TestBatchedFanOutDoesNotAllocate(t *testing.T) {
	r, raw := benchReceiver(t, 3)
	r.opts.Batch = &countingBatch{}
	seq := uint16(1)
	if n := testing.AllocsPerRun(500, func() {
		raw[2], raw[3] = byte(seq>>8), byte(seq)
		r.HandlePacket(raw)
		seq++
	}); n != 0 {
		t.Errorf("%v allocations per packet", n)
	}
	if c := r.opts.Batch.(*countingBatch); c.begins == 0 || c.begins != c.ends {
		t.Errorf("begins %d ends %d", c.begins, c.ends)
	}
}

type countingBatch struct{ begins, ends int }

func (c *countingBatch) Begin() { c.begins++ }
func (c *countingBatch) End()   { c.ends++ }
