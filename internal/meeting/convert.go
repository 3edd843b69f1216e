package meeting

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/switchyard-sfu/switchyard/api/proto/switchyard/v1"
)

// ErrInvalid marks a browser message the service refuses before calling a
// node; its text says which field is wrong.
var ErrInvalid = errors.New("invalid message")

var meetingName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// validateMeeting checks a meeting name (it becomes the node's room id).
func validateMeeting(name string) error {
	if !meetingName.MatchString(name) {
		return invalid("meeting must be 1-64 letters, digits, '-' or '_', got %q", truncate(name, 80))
	}
	return nil
}

// validateName checks a display name: 1-64 characters, no control
// characters, not only spaces.
func validateName(name string) error {
	if !utf8.ValidString(name) {
		return invalid("name is not valid UTF-8")
	}
	n := utf8.RuneCountInString(name)
	if n == 0 || strings.TrimSpace(name) == "" {
		return invalid("name is required")
	}
	if n > 64 {
		return invalid("name has %d characters, at most 64 are allowed", n)
	}
	if strings.IndexFunc(name, unicode.IsControl) >= 0 {
		return invalid("name contains control characters")
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

var roapTypes = map[string]pb.RoapMessageType{
	"OFFER":          pb.RoapMessageType_ROAP_OFFER,
	"ANSWER":         pb.RoapMessageType_ROAP_ANSWER,
	"OK":             pb.RoapMessageType_ROAP_OK,
	"ERROR":          pb.RoapMessageType_ROAP_ERROR,
	"OFFER_REQUEST":  pb.RoapMessageType_ROAP_OFFER_REQUEST,
	"OFFER_RESPONSE": pb.RoapMessageType_ROAP_OFFER_RESPONSE,
}

var roapErrorTypes = map[string]pb.RoapErrorType{
	"DOUBLECONFLICT": pb.RoapErrorType_ROAP_ERROR_DOUBLECONFLICT,
	"CONFLICT":       pb.RoapErrorType_ROAP_ERROR_CONFLICT,
	"FAILED":         pb.RoapErrorType_ROAP_ERROR_FAILED,
	"INVALID_STATE":  pb.RoapErrorType_ROAP_ERROR_INVALID_STATE,
	"OUT_OF_ORDER":   pb.RoapErrorType_ROAP_ERROR_OUT_OF_ORDER,
	"RETRY":          pb.RoapErrorType_ROAP_ERROR_RETRY,
}

// RoapToPB converts a browser's ROAP object to the node's. The node
// validates the ROAP semantics (seq, state, SDP); this only checks that it
// can be expressed.
func RoapToPB(r *Roap) (*pb.RoapMessage, error) {
	if r == nil {
		return nil, invalid("roap is required")
	}
	t, ok := roapTypes[r.MessageType]
	if !ok {
		return nil, invalid("roap.messageType %q is not one of OFFER, ANSWER, OK, ERROR, OFFER_REQUEST, OFFER_RESPONSE", truncate(r.MessageType, 40))
	}
	m := &pb.RoapMessage{MessageType: t, Seq: r.Seq, Sdp: r.SDP, TieBreaker: r.TieBreaker,
		ErrorCause: r.ErrorCause, RetryAfter: r.RetryAfter, Headers: r.Headers}
	if r.ErrorType != "" {
		et, ok := roapErrorTypes[r.ErrorType]
		if !ok {
			return nil, invalid("roap.errorType %q is unknown", truncate(r.ErrorType, 40))
		}
		m.ErrorType = et
	}
	return m, nil
}

// RoapFromPB converts a node's ROAP message for the browser (nil for nil).
func RoapFromPB(m *pb.RoapMessage) *Roap {
	if m == nil {
		return nil
	}
	r := &Roap{Seq: m.GetSeq(), SDP: m.GetSdp(), TieBreaker: m.GetTieBreaker(),
		ErrorCause: m.GetErrorCause(), RetryAfter: m.GetRetryAfter(), Headers: m.GetHeaders()}
	for name, t := range roapTypes {
		if t == m.GetMessageType() {
			r.MessageType = name
		}
	}
	for name, t := range roapErrorTypes {
		if t == m.GetErrorType() {
			r.ErrorType = name
		}
	}
	return r
}

// kbpsToBps converts a kbit/s limit to bit/s, saturating at the uint32
// range.
func kbpsToBps(kbps uint32) uint32 {
	if uint64(kbps)*1000 > math.MaxUint32 {
		return math.MaxUint32
	}
	return kbps * 1000
}

func contentToPB(field, c string) (pb.MediaContent, error) {
	switch c {
	case "", "main":
		return pb.MediaContent_MEDIA_CONTENT_MAIN, nil
	case "slides":
		return pb.MediaContent_MEDIA_CONTENT_SLIDES, nil
	}
	return 0, invalid("%s must be main or slides, got %q", field, truncate(c, 40))
}

// mediaRequestToPB maps a browser's mediaRequest to the node's. Slot ids
// and limits are checked by the node (unknown slots are its
// INVALID_ARGUMENT naming the field).
func mediaRequestToPB(connID string, m *MediaRequestMsg) (*pb.MediaRequest, error) {
	if m.Seq == 0 {
		return nil, invalid("seq is required and starts at 1")
	}
	req := &pb.MediaRequest{ConnectionId: connID, Seq: m.Seq}
	for i, e := range m.Requests {
		field := fmt.Sprintf("requests[%d]", i)
		content, err := contentToPB(field+".content", e.Content)
		if err != nil {
			return nil, err
		}
		if len(e.Slots) == 0 {
			return nil, invalid("%s.slots is empty", field)
		}
		out := &pb.MediaRequestEntry{
			Slots:   e.Slots,
			Content: content,
			Limits: &pb.MediaLimits{MaxFs: e.MaxFs, MaxFps: e.MaxFps, MaxWidth: e.MaxWidth,
				MaxHeight: e.MaxHeight, MaxPayloadBitsPerSecond: kbpsToBps(e.MaxKbps)},
		}
		switch e.Policy {
		case "active-speaker":
			if e.SourceID != nil {
				return nil, invalid("%s.sourceId applies only to receiver-selected", field)
			}
			var prio uint32
			if e.Priority != nil {
				prio = *e.Priority
			}
			if prio > 255 {
				return nil, invalid("%s.priority %d is above 255", field, prio)
			}
			out.Policy = &pb.MediaRequestEntry_ActiveSpeaker{ActiveSpeaker: &pb.ActiveSpeakerPolicy{
				Priority: prio, PreferLiveVideo: e.PreferLiveVideo, CrossPriorityDuplication: e.CrossPriorityDuplication}}
		case "receiver-selected":
			if e.SourceID == nil {
				return nil, invalid("%s.sourceId is required for receiver-selected", field)
			}
			out.Policy = &pb.MediaRequestEntry_ReceiverSelected{ReceiverSelected: &pb.ReceiverSelectedPolicy{SourceId: *e.SourceID}}
		default:
			return nil, invalid("%s.policy must be active-speaker or receiver-selected, got %q", field, truncate(e.Policy, 40))
		}
		req.Requests = append(req.Requests, out)
	}
	if c := m.Caps; c != nil {
		req.Caps = &pb.ReceiveCaps{TotalKbps: c.TotalKbps, AudioKbps: c.AudioKbps, VideoKbps: c.VideoKbps}
	}
	return req, nil
}

// muteToPB maps a browser's mute to SetMute on behalf of self.
func muteToPB(roomID, self string, m *MuteMsg) (*pb.SetMuteRequest, error) {
	var kind pb.TrackKind
	switch m.Kind {
	case "audio":
		kind = pb.TrackKind_TRACK_KIND_AUDIO
	case "video":
		kind = pb.TrackKind_TRACK_KIND_VIDEO
	default:
		return nil, invalid("kind must be audio or video, got %q", truncate(m.Kind, 40))
	}
	content, err := contentToPB("content", m.Content)
	if err != nil {
		return nil, err
	}
	if m.Muted == nil {
		return nil, invalid("muted is required")
	}
	target := m.ParticipantID
	if target == "" {
		target = self
	}
	return &pb.SetMuteRequest{RoomId: roomID, ParticipantId: target, Kind: kind, Content: content,
		Muted: *m.Muted, ByParticipantId: self}, nil
}

// errorFor turns a failure into the `error` message for the browser: a
// node's gRPC status keeps its message, a refused message is
// invalid_argument, anything else internal.
func errorFor(re string, err error) ErrorMsg {
	msg := ErrorMsg{Type: TypeError, Re: re, Code: CodeInternal, Message: err.Error()}
	if errors.Is(err, ErrInvalid) {
		msg.Code = CodeInvalidArgument
		return msg
	}
	if errors.Is(err, errNotJoined) || errors.Is(err, errAlreadyJoined) {
		msg.Code = CodeFailedPrecondition
		return msg
	}
	if errors.Is(err, errResourceExhausted) {
		msg.Code = CodeResourceExhausted
		return msg
	}
	if errors.Is(err, ErrNoNode) || errors.Is(err, ErrClosed) {
		msg.Code = CodeUnavailable
		return msg
	}
	st, ok := status.FromError(err)
	if !ok {
		return msg
	}
	msg.Message = st.Message()
	switch st.Code() {
	case codes.InvalidArgument, codes.OutOfRange:
		msg.Code = CodeInvalidArgument
	case codes.NotFound:
		msg.Code = CodeNotFound
	case codes.FailedPrecondition, codes.AlreadyExists, codes.Aborted:
		msg.Code = CodeFailedPrecondition
	case codes.ResourceExhausted:
		msg.Code = CodeResourceExhausted
	case codes.Unavailable, codes.DeadlineExceeded, codes.Canceled:
		msg.Code = CodeUnavailable
	}
	return msg
}

// roapErrorDetail returns the ROAP ERROR a node attached to a failed Roap
// or Join (malformed SDP), for relaying to the browser's state machine.
func roapErrorDetail(err error) *pb.RoapMessage {
	st, ok := status.FromError(err)
	if !ok {
		return nil
	}
	for _, d := range st.Details() {
		if m, ok := d.(*pb.RoapMessage); ok {
			return m
		}
	}
	return nil
}
