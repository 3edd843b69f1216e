package room

import (
	"encoding/binary"
	"testing"

	"github.com/switchyard-sfu/switchyard/pkg/simulcast"
)

// FuzzMediaRequest decodes a media request from arbitrary bytes, as a
// misbehaving meeting service might send it: validation must never panic,
// and a request it accepts must plan without panicking into exactly one
// status per slot with a known state.
func FuzzMediaRequest(f *testing.F) {
	f.Add([]byte{1, 0, 0, 0, 0xff, 3, 0, 1, 2, 0, 0x20, 0})
	f.Add([]byte{5, 1, 0, 1, 1, 1, 3, 0, 0, 0, 0, 1, 0, 60})
	f.Add([]byte{2, 0, 200, 0, 0, 7, 6, 5, 4, 3, 2, 1, 0})
	mids := slots()
	f.Fuzz(func(t *testing.T, b []byte) {
		rd := func() int {
			if len(b) == 0 {
				return 0
			}
			v := int(b[0])
			b = b[1:]
			return v
		}
		q := MediaRequest{Seq: uint64(rd()), Caps: ReceiveCaps{TotalKbps: rd() * 10, VideoKbps: rd() * 10}}
		for n := rd() % 6; n > 0 && len(b) > 0; n-- {
			e := RequestEntry{Priority: rd() * 2, Content: ContentMain}
			if rd()%2 == 1 {
				e.Policy = PolicyReceiverSelected
				var id [4]byte
				for i := range id {
					id[i] = byte(rd())
				}
				e.SourceID = binary.BigEndian.Uint32(id[:])
			}
			if rd()%4 == 0 {
				e.Content = ContentSlides
			}
			for k := rd() % 5; k > 0; k-- {
				e.Slots = append(e.Slots, mids[rd()%len(mids)].mid)
			}
			e.Limits = simulcast.Limits{MaxFs: rd() * 40, MaxFps: rd() * 20, MaxBitrate: rd() * 1000}
			e.PreferLiveVideo, e.CrossPriorityDuplication = rd()%2 == 1, rd()%2 == 1
			q.Entries = append(q.Entries, e)
		}
		sources := planRoom()
		if err := q.validate(mids, func(id uint32) bool { _, ok := sources[id]; return ok }); err != nil {
			return
		}
		out, _ := plan(planInput{participant: "me", slots: mids, request: &q, sources: sources,
			speakers: []uint32{1 << 8, 9 << 8, 3 << 8}, floorHolder: "erin"})
		if len(out) != len(mids) {
			t.Fatalf("%d statuses for %d slots", len(out), len(mids))
		}
		for _, p := range out {
			switch p.state {
			case SlotLive, SlotNoSource, SlotAvatar, SlotInvalidSource, SlotBandwidthDisabled:
			default:
				t.Fatalf("slot %s in unknown state %q", p.mid, p.state)
			}
			if p.state == SlotLive && (sources[p.source] == nil || sources[p.source].participant == "me" && p.priority <= MaxPriority) {
				t.Fatalf("slot %s live with source %d", p.mid, p.source)
			}
		}
	})
}

// FuzzOfferSDP runs the node's own SDP handling (before pion sees it) on
// arbitrary text: validation, per-connection limits, slot directions and
// the simulcast and source attributes. None of it may panic.
func FuzzOfferSDP(f *testing.F) {
	f.Add("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:0\r\na=sendonly\r\na=simulcast:send q;~h;f,x\r\na=jmp-source:0 csi=257\r\n")
	f.Add("v=0\r\ns=-\r\nt=0 0\r\nm=audio 0 RTP/AVP 0\r\na=recvonly\r\nm=video 9 RTP/AVP 96\r\na=mid:v\r\na=content:slides\r\n")
	f.Add("garbage")
	f.Fuzz(func(t *testing.T, raw string) {
		if validateSDP(raw) != nil {
			return
		}
		l := Limits{}.withDefaults()
		_ = l.checkOfferLimits(raw, SubscribeSlots)
		_ = l.checkOfferLimits(raw, SubscribeAuto)
		for _, mid := range []string{"0", "1", "v", ""} {
			_ = mediaDirection(raw, mid)
		}
		_ = parseSimulcastSend(raw)
		_ = parseJMPSource(raw, "0")
	})
}
