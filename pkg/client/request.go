package client

import pb "github.com/switchyard-sfu/switchyard/api/proto/switchyard/v1"

// ActiveSpeaker is a media request entry filling slots with the current
// speakers, by priority (0-255, higher first).
func ActiveSpeaker(priority uint32, limits *pb.MediaLimits, slots ...string) *pb.MediaRequestEntry {
	return &pb.MediaRequestEntry{
		Policy: &pb.MediaRequestEntry_ActiveSpeaker{ActiveSpeaker: &pb.ActiveSpeakerPolicy{Priority: priority}},
		Slots:  slots, Limits: limits,
	}
}

// Pinned is a media request entry showing one source (receiver-selected).
func Pinned(source uint32, limits *pb.MediaLimits, slots ...string) *pb.MediaRequestEntry {
	return &pb.MediaRequestEntry{
		Policy: &pb.MediaRequestEntry_ReceiverSelected{ReceiverSelected: &pb.ReceiverSelectedPolicy{SourceId: source}},
		Slots:  slots, Limits: limits,
	}
}
