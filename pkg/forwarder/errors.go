package forwarder

import "errors"

var (
	// ErrNoReceiver is returned by NewDownTrack when neither
	// DownTrackOptions.Receiver nor DownTrackOptions.Kind is set.
	ErrNoReceiver = errors.New("forwarder: down track needs a receiver or a kind")
	// ErrKindMismatch is returned by NewDownTrack when DownTrackOptions.Kind
	// and the Receiver's kind differ.
	ErrKindMismatch = errors.New("forwarder: down track and receiver kinds differ")
	// ErrNoID is returned by NewDownTrack when DownTrackOptions.ID is empty.
	ErrNoID = errors.New("forwarder: down track needs an id")
	// ErrCodecNotNegotiated is returned by DownTrack.Bind when the subscriber's
	// PeerConnection did not negotiate the publisher's codec (or, for a
	// receive slot, any codec it may carry).
	ErrCodecNotNegotiated = errors.New("forwarder: codec not negotiated by subscriber")
	// ErrNoWriteStream is returned by DownTrack.Bind when the context has no WriteStream.
	ErrNoWriteStream = errors.New("forwarder: bind context has no write stream")

	// Parse errors. They are sentinels so that dropping garbage never allocates.
	errShortPacket = errors.New("forwarder: rtp packet too short")
	errBadVersion  = errors.New("forwarder: rtp version is not 2")
	errBadPadding  = errors.New("forwarder: rtp padding is inconsistent")
)
