package meeting

import (
	"encoding/json"

	pb "github.com/switchyard-sfu/switchyard/api/proto/switchyard/v1"
)

// The WebSocket protocol between a browser and the service, one JSON object
// per text frame (docs/meeting-protocol.md). Field names are the wire names.

// MaxMessageBytes is the largest frame the service reads; a larger one
// closes the socket with 1009 (message too big).
const MaxMessageBytes = 64 << 10

// Message types a browser sends.
const (
	TypeJoin         = "join"
	TypeRoap         = "roap"
	TypeMediaRequest = "mediaRequest"
	TypeMute         = "mute"
	TypeFloor        = "floor"
	TypeLeave        = "leave"
)

// Message types the service sends.
const (
	TypeJoined          = "joined"
	TypeRoster          = "roster"
	TypeSlots           = "slots"
	TypeActiveSpeakers  = "activeSpeakers"
	TypeMediaRequestAck = "mediaRequestAck"
	TypeMuteChanged     = "muteChanged"
	TypeFloorChanged    = "floorChanged"
	TypeError           = "error"
	TypeLeft            = "left"
)

// Error codes of an `error` message.
const (
	CodeInvalidArgument    = "invalid_argument"
	CodeNotFound           = "not_found"
	CodeFailedPrecondition = "failed_precondition"
	CodeResourceExhausted  = "resource_exhausted"
	CodeUnavailable        = "unavailable"
	CodeInternal           = "internal"
)

// Reasons of a `left` message.
const (
	ReasonLeft         = "left"
	ReasonRemoved      = "removed"
	ReasonRoomClosed   = "room closed"
	ReasonNodeDraining = "node draining"
)

// Roap is a ROAP message with the Webex field names.
type Roap struct {
	MessageType string   `json:"messageType"`
	Seq         uint64   `json:"seq"`
	SDP         string   `json:"sdp,omitempty"`
	TieBreaker  uint32   `json:"tieBreaker,omitempty"`
	ErrorType   string   `json:"errorType,omitempty"`
	ErrorCause  string   `json:"errorCause,omitempty"`
	RetryAfter  int32    `json:"retryAfter,omitempty"`
	Headers     []string `json:"headers,omitempty"`
}

// envelope is the part every browser message shares.
type envelope struct {
	Type string `json:"type"`
}

// JoinMsg asks to join a meeting with the first ROAP OFFER.
type JoinMsg struct {
	Meeting string `json:"meeting"`
	Name    string `json:"name"`
	Roap    *Roap  `json:"roap"`
}

// RoapMsg carries one ROAP message either way.
type RoapMsg struct {
	Roap *Roap `json:"roap"`
}

// MediaRequestMsg sets what the browser's receive slots show.
type MediaRequestMsg struct {
	Seq      uint64              `json:"seq"`
	Requests []MediaRequestEntry `json:"requests"`
	Caps     *ReceiveCaps        `json:"caps,omitempty"`
}

// MediaRequestEntry fills some slots by one policy.
type MediaRequestEntry struct {
	// Policy is "active-speaker" or "receiver-selected".
	Policy string `json:"policy"`
	// Priority, PreferLiveVideo and CrossPriorityDuplication apply to
	// active-speaker; SourceID to receiver-selected.
	Priority                 *uint32  `json:"priority,omitempty"`
	PreferLiveVideo          bool     `json:"preferLiveVideo,omitempty"`
	CrossPriorityDuplication bool     `json:"crossPriorityDuplication,omitempty"`
	SourceID                 *uint32  `json:"sourceId,omitempty"`
	Slots                    []string `json:"slots"`
	// Content is "main" (default) or "slides".
	Content   string `json:"content,omitempty"`
	MaxFs     uint32 `json:"maxFs,omitempty"`
	MaxFps    uint32 `json:"maxFps,omitempty"`
	MaxWidth  uint32 `json:"maxWidth,omitempty"`
	MaxHeight uint32 `json:"maxHeight,omitempty"`
	MaxKbps   uint32 `json:"maxKbps,omitempty"`
}

// ReceiveCaps bound everything a connection receives (kbit/s, 0 unlimited).
type ReceiveCaps struct {
	TotalKbps uint32 `json:"totalKbps,omitempty"`
	AudioKbps uint32 `json:"audioKbps,omitempty"`
	VideoKbps uint32 `json:"videoKbps,omitempty"`
}

// MuteMsg mutes or unmutes a participant (self by default).
type MuteMsg struct {
	Kind          string `json:"kind"`
	Content       string `json:"content,omitempty"`
	Muted         *bool  `json:"muted"`
	ParticipantID string `json:"participantId,omitempty"`
}

// FloorMsg grants or releases the share floor for the sender.
type FloorMsg struct {
	Action string `json:"action"`
}

// JoinedMsg confirms a join.
type JoinedMsg struct {
	Type          string `json:"type"`
	Meeting       string `json:"meeting"`
	ParticipantID string `json:"participantId"`
	ConnectionID  string `json:"connectionId"`
	Node          string `json:"node"`
	Roap          *Roap  `json:"roap"`
}

// RoapOutMsg is a ROAP message for the browser.
type RoapOutMsg struct {
	Type string `json:"type"`
	Roap *Roap  `json:"roap"`
}

// RosterMsg is the whole roster of a meeting.
type RosterMsg struct {
	Type         string              `json:"type"`
	Participants []RosterParticipant `json:"participants"`
}

// RosterParticipant is one participant and what it publishes.
type RosterParticipant struct {
	ParticipantID string         `json:"participantId"`
	Name          string         `json:"name"`
	Sources       []RosterSource `json:"sources"`
}

// RosterSource is one published source.
type RosterSource struct {
	SourceID uint32 `json:"sourceId"`
	Kind     string `json:"kind"`
	Content  string `json:"content"`
	Muted    bool   `json:"muted"`
}

// SlotsMsg is the status of every receive slot of the browser.
type SlotsMsg struct {
	Type       string   `json:"type"`
	RequestSeq uint64   `json:"requestSeq"`
	Slots      []SlotJS `json:"slots"`
}

// SlotJS is one receive slot's status.
type SlotJS struct {
	Mid      string `json:"mid"`
	State    string `json:"state"`
	SourceID uint32 `json:"sourceId"`
	Layer    uint32 `json:"layer"`
}

// ActiveSpeakersMsg lists audio sources, loudest first.
type ActiveSpeakersMsg struct {
	Type      string   `json:"type"`
	SourceIDs []uint32 `json:"sourceIds"`
}

// MediaRequestAckMsg answers a mediaRequest.
type MediaRequestAckMsg struct {
	Type    string   `json:"type"`
	Seq     uint64   `json:"seq"`
	Applied bool     `json:"applied"`
	Slots   []SlotJS `json:"slots"`
}

// MuteChangedMsg announces who muted whom.
type MuteChangedMsg struct {
	Type          string `json:"type"`
	ParticipantID string `json:"participantId"`
	Kind          string `json:"kind"`
	Content       string `json:"content"`
	Muted         bool   `json:"muted"`
	By            string `json:"by"`
}

// FloorChangedMsg announces the share floor holder.
type FloorChangedMsg struct {
	Type          string `json:"type"`
	ParticipantID string `json:"participantId"`
	Previous      string `json:"previous"`
}

// ErrorMsg reports a failed request to the browser that sent it.
type ErrorMsg struct {
	Type    string `json:"type"`
	Re      string `json:"re"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Fatal   bool   `json:"fatal"`
}

// LeftMsg ends the browser's session; the socket closes after it.
type LeftMsg struct {
	Type   string `json:"type"`
	Reason string `json:"reason"`
}

// encode marshals an outbound message. Every outbound type is a plain
// struct of strings, numbers and slices, so Marshal cannot fail on them.
func encode(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("meeting: unencodable outbound message: " + err.Error())
	}
	return b
}

func slotsJS(in []*pb.SlotStatus) []SlotJS {
	out := make([]SlotJS, 0, len(in))
	for _, s := range in {
		out = append(out, SlotJS{Mid: s.GetMid(), State: slotState(s.GetState()), SourceID: s.GetSourceId(), Layer: s.GetLayer()})
	}
	return out
}

func slotState(s pb.SlotState) string {
	switch s {
	case pb.SlotState_SLOT_STATE_LIVE:
		return "live"
	case pb.SlotState_SLOT_STATE_AVATAR:
		return "avatar"
	case pb.SlotState_SLOT_STATE_INVALID_SOURCE:
		return "invalid source"
	case pb.SlotState_SLOT_STATE_BANDWIDTH_DISABLED:
		return "bandwidth disabled"
	default:
		return "no source"
	}
}

func kindName(k pb.TrackKind) string {
	if k == pb.TrackKind_TRACK_KIND_AUDIO {
		return "audio"
	}
	return "video"
}

func contentName(c pb.MediaContent) string {
	if c == pb.MediaContent_MEDIA_CONTENT_SLIDES {
		return "slides"
	}
	return "main"
}
