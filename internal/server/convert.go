package server

import (
	"fmt"

	pb "github.com/switchyard-sfu/switchyard/api/proto/switchyard/v1"
	"github.com/switchyard-sfu/switchyard/pkg/roap"
	"github.com/switchyard-sfu/switchyard/pkg/roap/roappb"
	"github.com/switchyard-sfu/switchyard/pkg/room"
)

// RoapFromPB converts a protobuf ROAP message, mapping failures to
// room.ErrInvalidArgument.
func RoapFromPB(p *pb.RoapMessage) (roap.Message, error) {
	m, err := roappb.FromPB(p)
	if err != nil {
		return roap.Message{}, fmt.Errorf("%w: %v", room.ErrInvalidArgument, err)
	}
	return m, nil
}

var stateToPB = map[room.ConnectionState]pb.ConnectionState{
	room.StateNew:          pb.ConnectionState_CONNECTION_STATE_NEW,
	room.StateChecking:     pb.ConnectionState_CONNECTION_STATE_CHECKING,
	room.StateConnected:    pb.ConnectionState_CONNECTION_STATE_CONNECTED,
	room.StateDisconnected: pb.ConnectionState_CONNECTION_STATE_DISCONNECTED,
	room.StateFailed:       pb.ConnectionState_CONNECTION_STATE_FAILED,
	room.StateClosed:       pb.ConnectionState_CONNECTION_STATE_CLOSED,
}

func kindToPB(k room.TrackKind) pb.TrackKind {
	switch k {
	case room.KindAudio:
		return pb.TrackKind_TRACK_KIND_AUDIO
	case room.KindVideo:
		return pb.TrackKind_TRACK_KIND_VIDEO
	}
	return pb.TrackKind_TRACK_KIND_UNSPECIFIED
}

func trackToPB(t room.TrackInfo) *pb.Track {
	out := &pb.Track{
		TrackId: t.ID, Kind: kindToPB(t.Kind), MimeType: t.MimeType, Mid: t.Mid,
		SourceId: t.SourceID, Content: contentToPB(t.Content), Muted: t.Muted,
	}
	for _, l := range t.Layers {
		out.Layers = append(out.Layers, &pb.Layer{
			Index: uint32(l.Index), Rid: l.RID, Ssrc: l.SSRC, Width: uint32(l.Width), Height: uint32(l.Height),
			Bitrate: uint32(l.Bitrate), Active: l.Active,
		})
	}
	return out
}

func summaryToPB(s room.RoomSummary) *pb.RoomSummary {
	return &pb.RoomSummary{
		RoomId:        s.ID,
		Options:       &pb.RoomOptions{MaxParticipants: uint32(s.Options.MaxParticipants)},
		Participants:  uint32(s.Participants),
		Connections:   uint32(s.Connections),
		LastEventSeq:  s.LastEventSeq,
		CreatedUnixMs: s.Created.UnixMilli(),
	}
}

func participantToPB(p room.ParticipantInfo) *pb.Participant {
	out := &pb.Participant{ParticipantId: p.ID, DisplayName: p.DisplayName}
	for _, d := range p.Devices {
		dev := &pb.Device{
			DeviceId:         d.DeviceID,
			ConnectionId:     d.ConnectionID,
			State:            stateToPB[d.State],
			SubscribedTracks: uint32(d.SubscribedTracks),
			Slots:            slotsToPB(d.Slots),
			Held:             d.Held,
			Congestion:       congestionToPB(d.Congestion),
		}
		for _, t := range d.Published {
			dev.PublishedTracks = append(dev.PublishedTracks, trackToPB(t))
		}
		out.Devices = append(out.Devices, dev)
	}
	return out
}

// EventToPB converts a room event to its protobuf form; nodeID names this
// node in node-level events.
func EventToPB(e room.Event, nodeID string) *pb.Event {
	out := &pb.Event{Seq: e.Seq, RoomId: e.RoomID, UnixMs: e.Time.UnixMilli()}
	switch p := e.Payload.(type) {
	case room.ParticipantJoined:
		out.Payload = &pb.Event_ParticipantJoined{ParticipantJoined: &pb.ParticipantJoined{ParticipantId: p.ParticipantID, DisplayName: p.DisplayName}}
	case room.ParticipantLeft:
		out.Payload = &pb.Event_ParticipantLeft{ParticipantLeft: &pb.ParticipantLeft{ParticipantId: p.ParticipantID, Reason: p.Reason}}
	case room.DeviceJoined:
		out.Payload = &pb.Event_DeviceJoined{DeviceJoined: &pb.DeviceJoined{ParticipantId: p.ParticipantID, DeviceId: p.DeviceID, ConnectionId: p.ConnectionID}}
	case room.DeviceLeft:
		out.Payload = &pb.Event_DeviceLeft{DeviceLeft: &pb.DeviceLeft{ParticipantId: p.ParticipantID, DeviceId: p.DeviceID, ConnectionId: p.ConnectionID, Reason: p.Reason}}
	case room.TrackPublished:
		out.Payload = &pb.Event_TrackPublished{TrackPublished: &pb.TrackPublished{ParticipantId: p.ParticipantID, DeviceId: p.DeviceID, ConnectionId: p.ConnectionID, Track: trackToPB(p.Track)}}
	case room.TrackUnpublished:
		out.Payload = &pb.Event_TrackUnpublished{TrackUnpublished: &pb.TrackUnpublished{ParticipantId: p.ParticipantID, DeviceId: p.DeviceID, ConnectionId: p.ConnectionID, TrackId: p.TrackID}}
	case room.ConnectionStateChanged:
		out.Payload = &pb.Event_ConnectionStateChanged{ConnectionStateChanged: &pb.ConnectionStateChanged{ParticipantId: p.ParticipantID, DeviceId: p.DeviceID, ConnectionId: p.ConnectionID, State: stateToPB[p.State]}}
	case room.RoapOutbound:
		out.Payload = &pb.Event_Roap{Roap: &pb.RoapOutbound{ConnectionId: p.ConnectionID, Message: roappb.ToPB(p.Message)}}
	case room.RoomClosed:
		out.Payload = &pb.Event_RoomClosed{RoomClosed: &pb.RoomClosed{Reason: p.Reason}}
	case room.SlotStatusChanged:
		out.Payload = &pb.Event_SlotStatus{SlotStatus: &pb.SlotStatusChanged{ConnectionId: p.ConnectionID, RequestSeq: p.RequestSeq, Slots: slotsToPB(p.Slots)}}
	case room.ActiveSpeakers:
		out.Payload = &pb.Event_ActiveSpeakers{ActiveSpeakers: &pb.ActiveSpeakers{SourceIds: p.SourceIDs}}
	case room.LayersNeeded:
		ls := make([]uint32, len(p.Layers))
		for i, l := range p.Layers {
			ls[i] = uint32(l)
		}
		out.Payload = &pb.Event_LayersNeeded{LayersNeeded: &pb.LayersNeeded{ConnectionId: p.ConnectionID, SourceId: p.SourceID, Layers: ls}}
	case room.MuteChanged:
		out.Payload = &pb.Event_MuteChanged{MuteChanged: &pb.MuteChanged{ParticipantId: p.ParticipantID, Kind: kindToPB(p.Kind),
			Content: contentToPB(p.Content), Muted: p.Muted, ByParticipantId: p.ByParticipantID}}
	case room.HoldChanged:
		out.Payload = &pb.Event_HoldChanged{HoldChanged: &pb.HoldChanged{ParticipantId: p.ParticipantID, ConnectionId: p.ConnectionID, Held: p.Held}}
	case room.NodeDraining:
		var ms int64
		if !p.Deadline.IsZero() {
			ms = p.Deadline.UnixMilli()
		}
		out.Payload = &pb.Event_NodeDraining{NodeDraining: &pb.NodeDraining{NodeId: nodeID, DeadlineUnixMs: ms}}
	case room.FloorChanged:
		out.Payload = &pb.Event_FloorChanged{FloorChanged: &pb.FloorChanged{ParticipantId: p.ParticipantID, PreviousParticipantId: p.PreviousParticipantID}}
	}
	return out
}
