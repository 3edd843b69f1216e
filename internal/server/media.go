package server

import (
	"context"
	"fmt"

	pb "github.com/switchyard-sfu/switchyard/api/proto/switchyard/v1"
	"github.com/switchyard-sfu/switchyard/pkg/room"
	"github.com/switchyard-sfu/switchyard/pkg/simulcast"
)

func contentFromPB(c pb.MediaContent) room.Content {
	if c == pb.MediaContent_MEDIA_CONTENT_SLIDES {
		return room.ContentSlides
	}
	return room.ContentMain
}

func contentToPB(c room.Content) pb.MediaContent {
	if c == room.ContentSlides {
		return pb.MediaContent_MEDIA_CONTENT_SLIDES
	}
	return pb.MediaContent_MEDIA_CONTENT_MAIN
}

func kindFromPB(k pb.TrackKind) (room.TrackKind, error) {
	switch k {
	case pb.TrackKind_TRACK_KIND_AUDIO:
		return room.KindAudio, nil
	case pb.TrackKind_TRACK_KIND_VIDEO:
		return room.KindVideo, nil
	}
	return "", fmt.Errorf("%w: kind must be TRACK_KIND_AUDIO or TRACK_KIND_VIDEO", room.ErrInvalidArgument)
}

func modeFromPB(m pb.SubscribeMode) (room.SubscribeMode, error) {
	switch m {
	case pb.SubscribeMode_SUBSCRIBE_MODE_UNSPECIFIED, pb.SubscribeMode_SUBSCRIBE_MODE_AUTO:
		return room.SubscribeAuto, nil
	case pb.SubscribeMode_SUBSCRIBE_MODE_SLOTS:
		return room.SubscribeSlots, nil
	}
	return 0, fmt.Errorf("%w: unknown subscribe_mode %v", room.ErrInvalidArgument, m)
}

var slotStateToPB = map[room.SlotState]pb.SlotState{
	room.SlotLive:              pb.SlotState_SLOT_STATE_LIVE,
	room.SlotNoSource:          pb.SlotState_SLOT_STATE_NO_SOURCE,
	room.SlotAvatar:            pb.SlotState_SLOT_STATE_AVATAR,
	room.SlotInvalidSource:     pb.SlotState_SLOT_STATE_INVALID_SOURCE,
	room.SlotBandwidthDisabled: pb.SlotState_SLOT_STATE_BANDWIDTH_DISABLED,
}

func slotsToPB(ss []room.SlotStatus) []*pb.SlotStatus {
	out := make([]*pb.SlotStatus, len(ss))
	for i, s := range ss {
		out[i] = &pb.SlotStatus{Mid: s.Mid, State: slotStateToPB[s.State], SourceId: s.SourceID, Layer: uint32(s.Layer)}
	}
	return out
}

// mediaRequestFromPB converts a request; validation against the
// connection happens in the room.
func mediaRequestFromPB(req *pb.MediaRequest) (room.MediaRequest, error) {
	q := room.MediaRequest{Seq: req.GetSeq()}
	if c := req.GetCaps(); c != nil {
		q.Caps = room.ReceiveCaps{TotalKbps: int(c.GetTotalKbps()), AudioKbps: int(c.GetAudioKbps()), VideoKbps: int(c.GetVideoKbps())}
	}
	for i, e := range req.GetRequests() {
		entry := room.RequestEntry{Slots: e.GetSlots(), Content: contentFromPB(e.GetContent())}
		switch p := e.GetPolicy().(type) {
		case *pb.MediaRequestEntry_ActiveSpeaker:
			entry.Policy = room.PolicyActiveSpeaker
			entry.Priority = int(p.ActiveSpeaker.GetPriority())
			entry.PreferLiveVideo = p.ActiveSpeaker.GetPreferLiveVideo()
			entry.CrossPriorityDuplication = p.ActiveSpeaker.GetCrossPriorityDuplication()
		case *pb.MediaRequestEntry_ReceiverSelected:
			entry.Policy = room.PolicyReceiverSelected
			entry.SourceID = p.ReceiverSelected.GetSourceId()
		default:
			return q, fmt.Errorf("%w: requests[%d] has no policy (active_speaker or receiver_selected)", room.ErrInvalidArgument, i)
		}
		if l := e.GetLimits(); l != nil {
			entry.Limits = simulcast.Limits{
				MaxFs: int(l.GetMaxFs()), MaxFps: int(l.GetMaxFps()),
				MaxWidth: int(l.GetMaxWidth()), MaxHeight: int(l.GetMaxHeight()),
				MaxBitrate: int(l.GetMaxPayloadBitsPerSecond()),
			}
		}
		q.Entries = append(q.Entries, entry)
	}
	return q, nil
}

// RequestMedia implements pb.MediaNodeServer.
func (s *Service) RequestMedia(ctx context.Context, req *pb.MediaRequest) (*pb.MediaRequestAck, error) {
	q, err := mediaRequestFromPB(req)
	if err != nil {
		return nil, toStatus(err)
	}
	res, err := s.m.RequestMedia(ctx, req.GetConnectionId(), q)
	if err != nil {
		return nil, toStatus(err)
	}
	return &pb.MediaRequestAck{Seq: res.Seq, Applied: res.Applied, Slots: slotsToPB(res.Slots)}, nil
}

// SetMute implements pb.MediaNodeServer.
func (s *Service) SetMute(ctx context.Context, req *pb.SetMuteRequest) (*pb.SetMuteResponse, error) {
	kind, err := kindFromPB(req.GetKind())
	if err != nil {
		return nil, toStatus(err)
	}
	err = s.m.SetMute(ctx, req.GetRoomId(), req.GetParticipantId(), kind, contentFromPB(req.GetContent()), req.GetMuted(), req.GetByParticipantId())
	if err != nil {
		return nil, toStatus(err)
	}
	return &pb.SetMuteResponse{}, nil
}

// SetHold implements pb.MediaNodeServer.
func (s *Service) SetHold(ctx context.Context, req *pb.SetHoldRequest) (*pb.SetHoldResponse, error) {
	if err := s.m.SetHold(ctx, req.GetConnectionId(), req.GetHeld()); err != nil {
		return nil, toStatus(err)
	}
	return &pb.SetHoldResponse{}, nil
}

// UpdateMedia implements pb.MediaNodeServer.
func (s *Service) UpdateMedia(ctx context.Context, req *pb.UpdateMediaRequest) (*pb.UpdateMediaResponse, error) {
	f := room.MediaFlags{
		SendAudio: req.SendAudio, SendVideo: req.SendVideo, SendShare: req.SendShare,
		ReceiveAudio: req.ReceiveAudio, ReceiveVideo: req.ReceiveVideo, ReceiveShare: req.ReceiveShare,
	}
	if err := s.m.UpdateMedia(ctx, req.GetConnectionId(), f); err != nil {
		return nil, toStatus(err)
	}
	return &pb.UpdateMediaResponse{}, nil
}

// GrantFloor implements pb.MediaNodeServer.
func (s *Service) GrantFloor(ctx context.Context, req *pb.GrantFloorRequest) (*pb.FloorResponse, error) {
	holder, err := s.m.GrantFloor(ctx, req.GetRoomId(), req.GetParticipantId())
	if err != nil {
		return nil, toStatus(err)
	}
	return &pb.FloorResponse{ParticipantId: holder}, nil
}

// ReleaseFloor implements pb.MediaNodeServer.
func (s *Service) ReleaseFloor(ctx context.Context, req *pb.ReleaseFloorRequest) (*pb.FloorResponse, error) {
	holder, err := s.m.ReleaseFloor(ctx, req.GetRoomId(), req.GetParticipantId())
	if err != nil {
		return nil, toStatus(err)
	}
	return &pb.FloorResponse{ParticipantId: holder}, nil
}
