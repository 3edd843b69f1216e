package ssrcsim

import "errors"

// Errors returned by Rewrite, Result.RestoreAnswer and Stamper.Set; match them
// with errors.Is.
var (
	// ErrMalformedSDP means the SDP does not parse, or an m-line's
	// ssrc-group or ssrc lines are not what RFC 5576 says they are.
	ErrMalformedSDP = errors.New("ssrcsim: malformed SDP")
	// ErrNoMID means an m-line with ssrc-group:SIM has no a=mid; pion
	// demultiplexes simulcast by MID, so it cannot be converted.
	ErrNoMID = errors.New("ssrcsim: simulcast m-line without a=mid")
	// ErrExtmapConflict means the SDP maps one of the MID, RID or
	// repaired-RID extensions to different IDs in different m-lines, or
	// gives their ID to another extension elsewhere. pion keeps one ID per
	// extension per connection, so no single stamp would be right.
	ErrExtmapConflict = errors.New("ssrcsim: conflicting extmap IDs")
	// ErrNoFreeExtensionID means the SDP already uses every one-byte
	// header extension ID (1-14).
	ErrNoFreeExtensionID = errors.New("ssrcsim: no free header extension ID")
	// ErrInvalidLayers means Stamper.Set got layers it cannot stamp: a zero
	// or duplicate SSRC, an empty or too long MID or RID, or extension IDs
	// that are zero or equal.
	ErrInvalidLayers = errors.New("ssrcsim: invalid layers")
)
