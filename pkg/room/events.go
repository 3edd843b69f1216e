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

// TrackInfo describes a published track.
type TrackInfo struct {
	// ID is node-assigned and stable for the life of the publication.
	ID       string
	Kind     TrackKind
	MimeType string
	// Mid is the publisher's m-line.
	Mid string
}
