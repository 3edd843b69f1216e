package room

import "errors"

// Sentinel errors. Operations wrap them with %w and a message that names the
// offending value; internal/server maps them to gRPC status codes.
var (
	// ErrInvalidArgument marks input that can never succeed as given.
	ErrInvalidArgument = errors.New("invalid argument")
	// ErrRoomNotFound is returned for an unknown room id.
	ErrRoomNotFound = errors.New("room not found")
	// ErrConnectionNotFound is returned for an unknown connection id.
	ErrConnectionNotFound = errors.New("connection not found")
	// ErrParticipantNotFound is returned for an unknown participant id.
	ErrParticipantNotFound = errors.New("participant not found")
	// ErrRoomExists is returned when CreateRoom names an existing room with
	// different options.
	ErrRoomExists = errors.New("room exists with different options")
	// ErrRoomFull is returned when a join would exceed the room's
	// participant limit.
	ErrRoomFull = errors.New("room is full")
	// ErrDraining is returned when a draining node is asked for a new room.
	ErrDraining = errors.New("node is draining")
	// ErrClosed is returned for operations on a room or node that has closed.
	ErrClosed = errors.New("closed")
	// ErrHistoryGone is returned when an event subscriber asks to resume from
	// a sequence number older than the retained history.
	ErrHistoryGone = errors.New("event history no longer reaches back that far")
	// ErrSlowSubscriber ends an event subscription that fell too far behind.
	ErrSlowSubscriber = errors.New("event subscriber fell behind")
	// ErrNegotiation marks a failure to apply an SDP (malformed or
	// unsupported); the ROAP reply carries an ERROR FAILED with the cause.
	ErrNegotiation = errors.New("negotiation failed")
)
