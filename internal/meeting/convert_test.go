package meeting

import (
	"errors"
	"math"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/switchyard-sfu/switchyard/api/proto/switchyard/v1"
)

func u32(v uint32) *uint32 { return &v }

// A browser's media request maps field for field onto the node's.
func TestMediaRequestToPB(t *testing.T) {
	req, err := mediaRequestToPB("c1", &MediaRequestMsg{Seq: 3, Requests: []MediaRequestEntry{
		{Policy: "active-speaker", Priority: u32(255), PreferLiveVideo: true, Slots: []string{"3"}, MaxFs: 8192, MaxFps: 3000, MaxKbps: 2500},
		{Policy: "receiver-selected", SourceID: u32(513), Slots: []string{"8"}, Content: "slides", MaxWidth: 1280, MaxHeight: 720},
	}, Caps: &ReceiveCaps{TotalKbps: 4000, AudioKbps: 200}})
	if err != nil {
		t.Fatal(err)
	}
	as, rs := req.GetRequests()[0], req.GetRequests()[1]
	if req.GetConnectionId() != "c1" || req.GetSeq() != 3 || req.GetCaps().GetTotalKbps() != 4000 || req.GetCaps().GetAudioKbps() != 200 ||
		as.GetActiveSpeaker().GetPriority() != 255 || !as.GetActiveSpeaker().GetPreferLiveVideo() || as.GetSlots()[0] != "3" ||
		as.GetLimits().GetMaxFs() != 8192 || as.GetLimits().GetMaxFps() != 3000 || as.GetLimits().GetMaxPayloadBitsPerSecond() != 2_500_000 ||
		as.GetContent() != pb.MediaContent_MEDIA_CONTENT_MAIN ||
		rs.GetReceiverSelected().GetSourceId() != 513 || rs.GetContent() != pb.MediaContent_MEDIA_CONTENT_SLIDES ||
		rs.GetLimits().GetMaxWidth() != 1280 || rs.GetLimits().GetMaxHeight() != 720 {
		t.Fatalf("mapped %v", req)
	}
	if got := kbpsToBps(math.MaxUint32); got != math.MaxUint32 {
		t.Fatalf("kbps saturation: %d", got)
	}
	for _, c := range []struct {
		msg  MediaRequestMsg
		want string
	}{
		{MediaRequestMsg{}, "seq"},
		{MediaRequestMsg{Seq: 1, Requests: []MediaRequestEntry{{Policy: "loudest", Slots: []string{"1"}}}}, "requests[0].policy"},
		{MediaRequestMsg{Seq: 1, Requests: []MediaRequestEntry{{Policy: "receiver-selected", Slots: []string{"1"}}}}, "requests[0].sourceId"},
		{MediaRequestMsg{Seq: 1, Requests: []MediaRequestEntry{{Policy: "active-speaker", SourceID: u32(1), Slots: []string{"1"}}}}, "requests[0].sourceId"},
		{MediaRequestMsg{Seq: 1, Requests: []MediaRequestEntry{{Policy: "active-speaker", Priority: u32(256), Slots: []string{"1"}}}}, "priority"},
		{MediaRequestMsg{Seq: 1, Requests: []MediaRequestEntry{{Policy: "active-speaker"}}}, "requests[0].slots"},
		{MediaRequestMsg{Seq: 1, Requests: []MediaRequestEntry{{Policy: "active-speaker", Slots: []string{"1"}, Content: "share"}}}, "requests[0].content"},
	} {
		_, err := mediaRequestToPB("c1", &c.msg)
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want an invalid-message error naming %s", c.msg, err, c.want)
		}
	}
}

// ROAP objects survive the round trip browser → node → browser.
func TestRoapRoundTrip(t *testing.T) {
	in := &Roap{MessageType: "ERROR", Seq: 4, ErrorType: "OUT_OF_ORDER", ErrorCause: "late", RetryAfter: 2, TieBreaker: 7, Headers: []string{"noOkInTransaction"}}
	m, err := RoapToPB(in)
	if err != nil {
		t.Fatal(err)
	}
	out := RoapFromPB(m)
	if out.MessageType != in.MessageType || out.Seq != in.Seq || out.ErrorType != in.ErrorType || out.ErrorCause != in.ErrorCause ||
		out.RetryAfter != in.RetryAfter || out.TieBreaker != in.TieBreaker || len(out.Headers) != 1 {
		t.Fatalf("round trip %+v -> %+v", in, out)
	}
	if _, err := RoapToPB(&Roap{MessageType: "OFFER", ErrorType: "NOPE"}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("unknown errorType: %v", err)
	}
	if _, err := RoapToPB(nil); !errors.Is(err, ErrInvalid) {
		t.Fatalf("missing roap: %v", err)
	}
}

// Names and meeting ids are checked before any node call.
func TestValidateNames(t *testing.T) {
	for _, ok := range []string{"a", "Team_standup-2", strings.Repeat("x", 64)} {
		if err := validateMeeting(ok); err != nil {
			t.Errorf("meeting %q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "a b", "ü", "../x", strings.Repeat("x", 65)} {
		if err := validateMeeting(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("meeting %q accepted", bad)
		}
	}
	for _, ok := range []string{"Zoë", "A B", strings.Repeat("é", 64)} {
		if err := validateName(ok); err != nil {
			t.Errorf("name %q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "   ", "a\nb", "\xff", strings.Repeat("é", 65)} {
		if err := validateName(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("name %q accepted", bad)
		}
	}
}

// Node errors keep their message and map to the protocol's codes.
func TestErrorFor(t *testing.T) {
	for _, c := range []struct {
		err  error
		code string
	}{
		{status.Error(codes.InvalidArgument, "slots[0]: unknown slot \"x\""), CodeInvalidArgument},
		{status.Error(codes.NotFound, "no room"), CodeNotFound},
		{status.Error(codes.FailedPrecondition, "held"), CodeFailedPrecondition},
		{status.Error(codes.ResourceExhausted, "full"), CodeResourceExhausted},
		{status.Error(codes.Unavailable, "draining"), CodeUnavailable},
		{status.Error(codes.Internal, "boom"), CodeInternal},
		{ErrNoNode, CodeUnavailable},
		{errNotJoined, CodeFailedPrecondition},
		{invalid("x"), CodeInvalidArgument},
	} {
		m := errorFor("re", c.err)
		if m.Code != c.code || m.Re != "re" || m.Message == "" || strings.Contains(m.Message, "rpc error") {
			t.Errorf("%v: %+v, want code %s", c.err, m, c.code)
		}
	}
}
