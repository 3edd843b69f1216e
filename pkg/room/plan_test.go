package room

import (
	"testing"

	"github.com/switchyard-sfu/switchyard/pkg/simulcast"
)

// A room as the planner sees it: alice, bob, carol with audio and 3-layer
// video each; dave with video muted; erin's share; the receiver is "me".
func planRoom() map[uint32]*planSource {
	layers := func() []simulcast.Layer {
		return []simulcast.Layer{
			{Index: 0, Width: 320, Height: 180, Bitrate: 150_000, Active: true},
			{Index: 1, Width: 640, Height: 360, Bitrate: 500_000, Active: true},
			{Index: 2, Width: 1280, Height: 720, Bitrate: 1_500_000, Active: true},
		}
	}
	src := map[uint32]*planSource{}
	add := func(base uint32, who string, video, videoLive bool) {
		src[base<<8] = &planSource{id: base << 8, participant: who, kind: KindAudio, content: ContentMain, forwardable: true}
		if video {
			src[base<<8|1] = &planSource{id: base<<8 | 1, participant: who, kind: KindVideo, content: ContentMain, forwardable: videoLive, layers: layers()}
		}
	}
	add(1, "alice", true, true)
	add(2, "bob", true, true)
	add(3, "carol", true, true)
	add(4, "dave", true, false)
	add(9, "me", true, true)
	src[5<<8|1] = &planSource{id: 5<<8 | 1, participant: "erin", kind: KindVideo, content: ContentSlides, forwardable: true, layers: layers()}
	return src
}

func slots() []slotInfo {
	return []slotInfo{
		{"a0", KindAudio}, {"a1", KindAudio}, {"a2", KindAudio},
		{"main", KindVideo}, {"t0", KindVideo}, {"t1", KindVideo}, {"share", KindVideo},
	}
}

func asEntry(prio int, mids ...string) RequestEntry {
	return RequestEntry{Policy: PolicyActiveSpeaker, Priority: prio, Slots: mids, Content: ContentMain, Limits: simulcast.Limits{MaxFs: 8192}}
}

func byMid(ps []planned) map[string]planned {
	out := map[string]planned{}
	for _, p := range ps {
		out[p.mid] = p
	}
	return out
}

func TestPlanActiveSpeaker(t *testing.T) {
	speakers := []uint32{9 << 8, 2 << 8, 4 << 8, 1 << 8, 3 << 8} // me, bob, dave, alice, carol
	main := asEntry(255, "main")
	thumbs := asEntry(200, "t0", "t1")
	thumbs.Limits.MaxFs = 60
	audio := RequestEntry{Policy: PolicyActiveSpeaker, Priority: 255, Slots: []string{"a0", "a1", "a2"}, Content: ContentMain}
	cases := []struct {
		name    string
		entries []RequestEntry
		floor   string
		want    map[string]SlotStatus
	}{
		{
			name:    "own media never shown; speaker order fills main then thumbnails; muted video is avatar",
			entries: []RequestEntry{audio, main, thumbs},
			want: map[string]SlotStatus{
				"a0": {State: SlotLive, SourceID: 2 << 8}, "a1": {State: SlotLive, SourceID: 4 << 8}, "a2": {State: SlotLive, SourceID: 1 << 8},
				"main": {State: SlotLive, SourceID: 2<<8 | 1}, "t0": {State: SlotAvatar, SourceID: 4<<8 | 1}, "t1": {State: SlotLive, SourceID: 1<<8 | 1},
				"share": {State: SlotNoSource},
			},
		},
		{
			name:    "preferLiveVideo skips the muted video",
			entries: []RequestEntry{main, func() RequestEntry { e := thumbs; e.PreferLiveVideo = true; return e }()},
			want: map[string]SlotStatus{
				"main": {State: SlotLive, SourceID: 2<<8 | 1}, "t0": {State: SlotLive, SourceID: 1<<8 | 1}, "t1": {State: SlotLive, SourceID: 3<<8 | 1},
			},
		},
		{
			name:    "cross-priority duplication lets thumbnails repeat the main speaker",
			entries: []RequestEntry{main, func() RequestEntry { e := thumbs; e.CrossPriorityDuplication = true; return e }()},
			want: map[string]SlotStatus{
				"main": {State: SlotLive, SourceID: 2<<8 | 1}, "t0": {State: SlotLive, SourceID: 2<<8 | 1}, "t1": {State: SlotAvatar, SourceID: 4<<8 | 1},
			},
		},
		{
			name:    "a pin is served first and not repeated by active speaker",
			entries: []RequestEntry{main, {Policy: PolicyReceiverSelected, SourceID: 2<<8 | 1, Slots: []string{"t0"}, Content: ContentMain, Limits: simulcast.Limits{MaxFs: 60}}},
			want: map[string]SlotStatus{
				"t0": {State: SlotLive, SourceID: 2<<8 | 1}, "main": {State: SlotAvatar, SourceID: 4<<8 | 1},
			},
		},
		{
			name:    "share slot shows only the floor holder",
			entries: []RequestEntry{{Policy: PolicyActiveSpeaker, Priority: 255, Slots: []string{"share"}, Content: ContentSlides, Limits: simulcast.Limits{MaxFs: 8192}}},
			floor:   "erin",
			want:    map[string]SlotStatus{"share": {State: SlotLive, SourceID: 5<<8 | 1}},
		},
		{
			name:    "no floor, no share",
			entries: []RequestEntry{{Policy: PolicyActiveSpeaker, Priority: 255, Slots: []string{"share"}, Content: ContentSlides, Limits: simulcast.Limits{MaxFs: 8192}}},
			want:    map[string]SlotStatus{"share": {State: SlotNoSource}},
		},
		{
			name:    "pinned share without the floor is no source",
			entries: []RequestEntry{{Policy: PolicyReceiverSelected, SourceID: 5<<8 | 1, Slots: []string{"share"}, Content: ContentSlides, Limits: simulcast.Limits{MaxFs: 8192}}},
			floor:   "alice",
			want:    map[string]SlotStatus{"share": {State: SlotNoSource, SourceID: 5<<8 | 1}},
		},
		{
			name:    "a pin of a source that left is invalid",
			entries: []RequestEntry{{Policy: PolicyReceiverSelected, SourceID: 77<<8 | 1, Slots: []string{"t1"}, Content: ContentMain, Limits: simulcast.Limits{MaxFs: 60}}},
			want:    map[string]SlotStatus{"t1": {State: SlotInvalidSource, SourceID: 77<<8 | 1}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ps, _ := plan(planInput{
				participant: "me", slots: slots(), sources: planRoom(), speakers: speakers, floorHolder: tc.floor,
				request: &MediaRequest{Seq: 1, Entries: tc.entries},
			})
			got := byMid(ps)
			for mid, want := range tc.want {
				p := got[mid]
				if p.state != want.State || (want.SourceID != 0 && p.source != want.SourceID) {
					t.Errorf("%s: got %s/%d, want %s/%d", mid, p.state, p.source, want.State, want.SourceID)
				}
			}
		})
	}
}

func TestPlanBudget(t *testing.T) {
	speakers := []uint32{1 << 8, 2 << 8, 3 << 8}
	main := asEntry(255, "main")
	thumbs := asEntry(100, "t0", "t1")
	thumbs.Limits.MaxFs = 3600 // 1280x720: every layer fits
	cases := []struct {
		name string
		caps ReceiveCaps
		want map[string]int // budget; -1 = bandwidth disabled
	}{
		{"unlimited", ReceiveCaps{}, map[string]int{"main": 0, "t0": 0, "t1": 0}},
		{"main first upgraded to the top, thumbnails at their lowest", ReceiveCaps{VideoKbps: 2000}, map[string]int{"main": 1_500_000, "t0": 150_000, "t1": 150_000}},
		{"everyone low, main upgraded as far as it fits", ReceiveCaps{VideoKbps: 900}, map[string]int{"main": 500_000, "t0": 150_000, "t1": 150_000}},
		{"too little for the last thumbnail", ReceiveCaps{VideoKbps: 320}, map[string]int{"main": 150_000, "t0": 150_000, "t1": -1}},
		{"total cap minus audio", ReceiveCaps{TotalKbps: 2000 + 64}, map[string]int{"main": 1_500_000, "t0": 150_000, "t1": 150_000}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ps, _ := plan(planInput{
				participant: "me", slots: slots(), sources: planRoom(), speakers: speakers,
				request: &MediaRequest{Seq: 1, Caps: tc.caps, Entries: []RequestEntry{
					main, thumbs, {Policy: PolicyActiveSpeaker, Priority: 255, Slots: []string{"a0"}, Content: ContentMain},
				}},
			})
			got := byMid(ps)
			for mid, want := range tc.want {
				p := got[mid]
				if want < 0 {
					if p.state != SlotBandwidthDisabled {
						t.Errorf("%s: %s, want bandwidth disabled", mid, p.state)
					}
					continue
				}
				if p.state != SlotLive || p.budget != want {
					t.Errorf("%s: %s budget %d, want live budget %d", mid, p.state, p.budget, want)
				}
			}
		})
	}
}

func TestValidateMediaRequest(t *testing.T) {
	known := func(id uint32) bool { return id == 1<<8|1 }
	base := func() MediaRequest {
		return MediaRequest{Seq: 3, Entries: []RequestEntry{asEntry(255, "main"), {Policy: PolicyActiveSpeaker, Slots: []string{"a0"}, Content: ContentMain}}}
	}
	cases := []struct {
		name   string
		mutate func(*MediaRequest)
		want   string
	}{
		{"valid", func(*MediaRequest) {}, ""},
		{"seq 0", func(q *MediaRequest) { q.Seq = 0 }, "seq"},
		{"unknown mid", func(q *MediaRequest) { q.Entries[0].Slots = []string{"nope"} }, `slots[0] "nope"`},
		{"slot twice", func(q *MediaRequest) { q.Entries[1].Slots = []string{"a0", "a0"} }, "already used"},
		{"slot in two entries", func(q *MediaRequest) { q.Entries[1].Slots = []string{"main"}; q.Entries[1].Limits.MaxFs = 60 }, "already used"},
		{"maxFs 0", func(q *MediaRequest) { q.Entries[0].Limits.MaxFs = 0 }, "max_fs"},
		{"priority out of range", func(q *MediaRequest) { q.Entries[0].Priority = 256 }, "priority"},
		{"unknown source", func(q *MediaRequest) {
			q.Entries[0] = RequestEntry{Policy: PolicyReceiverSelected, SourceID: 42, Slots: []string{"main"}, Content: ContentMain, Limits: simulcast.Limits{MaxFs: 60}}
		}, "source_id 42"},
		{"mixed kinds", func(q *MediaRequest) { q.Entries[0].Slots = []string{"main", "a1"} }, "mixes"},
		{"empty slots", func(q *MediaRequest) { q.Entries[0].Slots = nil }, "empty"},
		{"negative caps", func(q *MediaRequest) { q.Caps.VideoKbps = -1 }, "caps"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			q := base()
			tc.mutate(&q)
			err := q.validate(slots(), known)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want mention of %q", err, tc.want)
			}
		})
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}
