package room

import (
	"time"

	"github.com/switchyard-sfu/switchyard/pkg/roap"
)

// Event is one entry of a room's ordered event log.
type Event struct {
	// Seq is room-wide and increases by one per event, starting at 1.
	Seq     uint64
	RoomID  string
	Time    time.Time
	Payload EventPayload
}

// EventPayload is one of the event types below.
type EventPayload interface{ isEventPayload() }

// ParticipantJoined is emitted when a participant's first device joins.
type ParticipantJoined struct{ ParticipantID, DisplayName string }

// ParticipantLeft is emitted when a participant's last device is gone.
type ParticipantLeft struct{ ParticipantID, Reason string }

// DeviceJoined is emitted for every connection that joins.
type DeviceJoined struct{ ParticipantID, DeviceID, ConnectionID string }

// DeviceLeft is emitted when a connection closes.
type DeviceLeft struct{ ParticipantID, DeviceID, ConnectionID, Reason string }

// TrackPublished is emitted when a connection starts publishing a track.
type TrackPublished struct {
	ParticipantID, DeviceID, ConnectionID string
	Track                                 TrackInfo
}

// TrackUnpublished is emitted when a published track ends.
type TrackUnpublished struct{ ParticipantID, DeviceID, ConnectionID, TrackID string }

// ConnectionStateChanged is emitted when a connection's transport state
// changes.
type ConnectionStateChanged struct {
	ParticipantID, DeviceID, ConnectionID string
	State                                 ConnectionState
}

// RoapOutbound carries a node-initiated ROAP message for the meeting service
// to deliver to the client of ConnectionID.
type RoapOutbound struct {
	ConnectionID string
	Message      roap.Message
}

// RoomClosed is the last event of a room.
type RoomClosed struct{ Reason string }

func (ParticipantJoined) isEventPayload()      {}
func (ParticipantLeft) isEventPayload()        {}
func (DeviceJoined) isEventPayload()           {}
func (DeviceLeft) isEventPayload()             {}
func (TrackPublished) isEventPayload()         {}
func (TrackUnpublished) isEventPayload()       {}
func (ConnectionStateChanged) isEventPayload() {}
func (RoapOutbound) isEventPayload()           {}
func (RoomClosed) isEventPayload()             {}
func (SlotStatusChanged) isEventPayload()      {}
func (ActiveSpeakers) isEventPayload()         {}
func (LayersNeeded) isEventPayload()           {}
func (MuteChanged) isEventPayload()            {}
func (HoldChanged) isEventPayload()            {}
func (FloorChanged) isEventPayload()           {}
func (NodeDraining) isEventPayload()           {}

// ConnectionState follows RTCPeerConnectionState.
type ConnectionState string

// Connection states.
const (
	StateNew          ConnectionState = "new"
	StateChecking     ConnectionState = "checking"
	StateConnected    ConnectionState = "connected"
	StateDisconnected ConnectionState = "disconnected"
	StateFailed       ConnectionState = "failed"
	StateClosed       ConnectionState = "closed"
)

// TrackKind is audio or video.
type TrackKind string

// Track kinds.
const (
	KindAudio TrackKind = "audio"
	KindVideo TrackKind = "video"
)

// TrackInfo describes a published source.
type TrackInfo struct {
	// ID is node-assigned and stable for the life of the publication.
	ID       string
	Kind     TrackKind
	MimeType string
	// Mid is the publisher's m-line.
	Mid string
	// SourceID is the Webex-style CSI: base<<8 | (0 audio, 1 video); a
	// device's main audio and video share the base, share has its own.
	SourceID uint32
	Content  Content
	// Layers are the simulcast layers, lowest first (one when not
	// simulcast).
	Layers []LayerInfo
	Muted  bool
}

// LayerInfo describes one spatial layer of a source.
type LayerInfo struct {
	Index                  int
	RID                    string
	SSRC                   uint32
	Width, Height, Bitrate int
	Active                 bool
}

// SlotStatusChanged carries every slot status of a connection when any
// changes.
type SlotStatusChanged struct {
	ConnectionID string
	RequestSeq   uint64
	Slots        []SlotStatus
}

// ActiveSpeakers lists audio sources by speaking order, dominant first.
type ActiveSpeakers struct{ SourceIDs []uint32 }

// LayersNeeded lists the spatial layers of a source that some slot needs.
type LayersNeeded struct {
	ConnectionID string
	SourceID     uint32
	Layers       []int
}

// MuteChanged announces who muted whom.
type MuteChanged struct {
	ParticipantID   string
	Kind            TrackKind
	Content         Content
	Muted           bool
	ByParticipantID string
}

// HoldChanged announces a held or resumed connection.
type HoldChanged struct {
	ParticipantID, ConnectionID string
	Held                        bool
}

// NodeDraining announces that the node refuses new rooms and shuts down by
// Deadline (zero: no deadline).
type NodeDraining struct{ Deadline time.Time }

// FloorChanged announces the share floor holder ("" for nobody).
type FloorChanged struct{ ParticipantID, PreviousParticipantID string }
