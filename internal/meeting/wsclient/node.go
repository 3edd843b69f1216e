package wsclient

import (
	"context"
	"fmt"
	"io"
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	pb "github.com/switchyard-sfu/switchyard/api/proto/switchyard/v1"
	"github.com/switchyard-sfu/switchyard/internal/meeting"
)

// Node makes a Conn look like the node's gRPC client for one participant,
// so pkg/client joins and renegotiates through the meeting service: Join
// sends `join`, Roap sends `roap` (and waits for the reply to an offer),
// RequestMedia sends `mediaRequest`, Leave sends `leave`; Events yields the
// service's node-initiated `roap` messages and `slots`, `activeSpeakers`,
// `muteChanged` and `floorChanged` as node events. Calls that the protocol
// doesn't offer a browser fail with Unimplemented.
type Node struct {
	c       *Conn
	meeting string

	// mu guards the joined state, filled by Join.
	mu     sync.Mutex
	joined meeting.JoinedMsg

	// calls serializes request/reply exchanges: replies carry no id, so
	// one waits at a time.
	calls sync.Mutex

	events chan *pb.Event
}

var _ pb.MediaNodeClient = (*Node)(nil)

// NewNode adapts c; register it before sending anything on c.
func NewNode(c *Conn) *Node {
	n := &Node{c: c, events: make(chan *pb.Event, 4096)}
	c.OnMessage(n.route)
	return n
}

// Joined is the service's `joined` reply (zero before Join succeeded).
func (n *Node) Joined() meeting.JoinedMsg {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.joined
}

// route turns the service's pushed messages into node events.
func (n *Node) route(m Message) {
	var ev *pb.Event
	switch m.Type {
	case meeting.TypeRoap:
		var r meeting.RoapOutMsg
		if m.Decode(&r) != nil || r.Roap == nil {
			return
		}
		switch r.Roap.MessageType {
		case "OFFER", "OFFER_REQUEST", "OFFER_RESPONSE":
			ev = &pb.Event{Payload: &pb.Event_Roap{Roap: &pb.RoapOutbound{ConnectionId: n.Joined().ConnectionID, Message: toPB(r.Roap)}}}
		}
	case meeting.TypeSlots:
		var s meeting.SlotsMsg
		if m.Decode(&s) != nil {
			return
		}
		ev = &pb.Event{Payload: &pb.Event_SlotStatus{SlotStatus: &pb.SlotStatusChanged{
			ConnectionId: n.Joined().ConnectionID, RequestSeq: s.RequestSeq, Slots: slotsPB(s.Slots)}}}
	case meeting.TypeActiveSpeakers:
		var a meeting.ActiveSpeakersMsg
		if m.Decode(&a) != nil {
			return
		}
		ev = &pb.Event{Payload: &pb.Event_ActiveSpeakers{ActiveSpeakers: &pb.ActiveSpeakers{SourceIds: a.SourceIDs}}}
	case meeting.TypeMuteChanged:
		var mc meeting.MuteChangedMsg
		if m.Decode(&mc) != nil {
			return
		}
		kind := pb.TrackKind_TRACK_KIND_VIDEO
		if mc.Kind == "audio" {
			kind = pb.TrackKind_TRACK_KIND_AUDIO
		}
		content := pb.MediaContent_MEDIA_CONTENT_MAIN
		if mc.Content == "slides" {
			content = pb.MediaContent_MEDIA_CONTENT_SLIDES
		}
		ev = &pb.Event{Payload: &pb.Event_MuteChanged{MuteChanged: &pb.MuteChanged{ParticipantId: mc.ParticipantID,
			Kind: kind, Content: content, Muted: mc.Muted, ByParticipantId: mc.By}}}
	case meeting.TypeFloorChanged:
		var fc meeting.FloorChangedMsg
		if m.Decode(&fc) != nil {
			return
		}
		ev = &pb.Event{Payload: &pb.Event_FloorChanged{FloorChanged: &pb.FloorChanged{ParticipantId: fc.ParticipantID, PreviousParticipantId: fc.Previous}}}
	case meeting.TypeJoined:
		var j meeting.JoinedMsg
		if m.Decode(&j) == nil {
			n.mu.Lock()
			n.joined = j
			n.mu.Unlock()
		}
	}
	if ev == nil {
		return
	}
	select {
	case n.events <- ev:
	default: // a test that never reads events; the Conn log keeps them
	}
}

// exchange sends req and waits for the first later message that match
// accepts, or an `error` about re.
func (n *Node) exchange(ctx context.Context, req any, re string, match func(Message) bool) (Message, error) {
	n.calls.Lock()
	defer n.calls.Unlock()
	from := n.c.Len()
	if err := n.c.Send(ctx, req); err != nil {
		return Message{}, status.Error(codes.Unavailable, err.Error())
	}
	m, _, err := n.c.Wait(ctx, from, func(m Message) bool {
		if m.Type == meeting.TypeError {
			var e meeting.ErrorMsg
			return m.Decode(&e) == nil && e.Re == re
		}
		return match(m)
	})
	if err != nil {
		return Message{}, status.Error(codes.Unavailable, err.Error())
	}
	if m.Type == meeting.TypeError {
		var e meeting.ErrorMsg
		_ = m.Decode(&e)
		return Message{}, status.Error(codeOf(e.Code), e.Message)
	}
	return m, nil
}

func codeOf(c string) codes.Code {
	switch c {
	case meeting.CodeInvalidArgument:
		return codes.InvalidArgument
	case meeting.CodeNotFound:
		return codes.NotFound
	case meeting.CodeFailedPrecondition:
		return codes.FailedPrecondition
	case meeting.CodeResourceExhausted:
		return codes.ResourceExhausted
	case meeting.CodeUnavailable:
		return codes.Unavailable
	}
	return codes.Internal
}

// Join sends `join` with the offer; the room id is the meeting name and the
// display name the browser's name. The service picks the participant and
// device ids; the ones in req are ignored.
func (n *Node) Join(ctx context.Context, req *pb.JoinRequest, _ ...grpc.CallOption) (*pb.JoinResponse, error) {
	msg := struct {
		Type string `json:"type"`
		meeting.JoinMsg
	}{meeting.TypeJoin, meeting.JoinMsg{Meeting: req.GetRoomId(), Name: req.GetDisplayName(), Roap: fromPB(req.GetOffer())}}
	m, err := n.exchange(ctx, msg, meeting.TypeJoin, OfType(meeting.TypeJoined))
	if err != nil {
		return nil, err
	}
	var j meeting.JoinedMsg
	if err := m.Decode(&j); err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &pb.JoinResponse{ConnectionId: j.ConnectionID, Answer: toPB(j.Roap)}, nil
}

// Roap sends `roap`. For an OFFER or OFFER_RESPONSE it waits for the
// service's ANSWER or ERROR; other messages get no reply.
func (n *Node) Roap(ctx context.Context, req *pb.RoapRequest, _ ...grpc.CallOption) (*pb.RoapResponse, error) {
	msg := meeting.RoapOutMsg{Type: meeting.TypeRoap, Roap: fromPB(req.GetMessage())}
	switch req.GetMessage().GetMessageType() {
	case pb.RoapMessageType_ROAP_OFFER, pb.RoapMessageType_ROAP_OFFER_RESPONSE:
	default:
		if err := n.c.Send(ctx, msg); err != nil {
			return nil, status.Error(codes.Unavailable, err.Error())
		}
		return &pb.RoapResponse{}, nil
	}
	m, err := n.exchange(ctx, msg, meeting.TypeRoap, func(m Message) bool {
		var r meeting.RoapOutMsg
		return m.Type == meeting.TypeRoap && m.Decode(&r) == nil && r.Roap != nil &&
			(r.Roap.MessageType == "ANSWER" || r.Roap.MessageType == "ERROR") && r.Roap.Seq == msg.Roap.Seq
	})
	if err != nil {
		return nil, err
	}
	var r meeting.RoapOutMsg
	_ = m.Decode(&r)
	return &pb.RoapResponse{Reply: toPB(r.Roap)}, nil
}

// RequestMedia sends `mediaRequest` and returns the service's ack. Only
// what the protocol carries is sent: policies, slots, limits, caps.
func (n *Node) RequestMedia(ctx context.Context, req *pb.MediaRequest, _ ...grpc.CallOption) (*pb.MediaRequestAck, error) {
	msg := map[string]any{"type": meeting.TypeMediaRequest, "seq": req.GetSeq(), "requests": entriesJS(req.GetRequests())}
	if c := req.GetCaps(); c != nil {
		msg["caps"] = meeting.ReceiveCaps{TotalKbps: c.GetTotalKbps(), AudioKbps: c.GetAudioKbps(), VideoKbps: c.GetVideoKbps()}
	}
	m, err := n.exchange(ctx, msg, meeting.TypeMediaRequest, OfType(meeting.TypeMediaRequestAck))
	if err != nil {
		return nil, err
	}
	var a meeting.MediaRequestAckMsg
	_ = m.Decode(&a)
	return &pb.MediaRequestAck{Seq: a.Seq, Applied: a.Applied, Slots: slotsPB(a.Slots)}, nil
}

// Leave sends `leave` and waits for `left`.
func (n *Node) Leave(ctx context.Context, _ *pb.LeaveRequest, _ ...grpc.CallOption) (*pb.LeaveResponse, error) {
	if _, err := n.exchange(ctx, map[string]string{"type": meeting.TypeLeave}, meeting.TypeLeave, OfType(meeting.TypeLeft)); err != nil {
		return nil, err
	}
	return &pb.LeaveResponse{}, nil
}

// SetMute sends `mute` on behalf of this participant; the result shows as
// a muteChanged event (or an `error`).
func (n *Node) SetMute(ctx context.Context, req *pb.SetMuteRequest, _ ...grpc.CallOption) (*pb.SetMuteResponse, error) {
	kind := "video"
	if req.GetKind() == pb.TrackKind_TRACK_KIND_AUDIO {
		kind = "audio"
	}
	content := "main"
	if req.GetContent() == pb.MediaContent_MEDIA_CONTENT_SLIDES {
		content = "slides"
	}
	muted := req.GetMuted()
	msg := map[string]any{"type": meeting.TypeMute, "kind": kind, "content": content, "muted": muted}
	if req.GetParticipantId() != "" {
		msg["participantId"] = req.GetParticipantId()
	}
	if err := n.c.Send(ctx, msg); err != nil {
		return nil, status.Error(codes.Unavailable, err.Error())
	}
	return &pb.SetMuteResponse{}, nil
}

// Events returns the stream of pushed messages as node events (one stream
// per Node).
func (n *Node) Events(ctx context.Context, _ *pb.EventsRequest, _ ...grpc.CallOption) (grpc.ServerStreamingClient[pb.Event], error) {
	return &eventStream{ctx: ctx, n: n}, nil
}

type eventStream struct {
	grpc.ClientStream
	ctx context.Context
	n   *Node
}

func (s *eventStream) Recv() (*pb.Event, error) {
	select {
	case ev := <-s.n.events:
		return ev, nil
	case <-s.n.c.Closed():
		return nil, io.EOF
	case <-s.ctx.Done():
		return nil, status.FromContextError(s.ctx.Err()).Err()
	}
}

func (s *eventStream) Header() (metadata.MD, error) { return nil, nil }
func (s *eventStream) Trailer() metadata.MD         { return nil }
func (s *eventStream) CloseSend() error             { return nil }
func (s *eventStream) Context() context.Context     { return s.ctx }

func unimplemented(call string) error {
	return status.Error(codes.Unimplemented, fmt.Sprintf("%s is not part of the meeting protocol", call))
}

// CreateRoom is not offered to browsers (join creates the meeting).
func (n *Node) CreateRoom(context.Context, *pb.CreateRoomRequest, ...grpc.CallOption) (*pb.CreateRoomResponse, error) {
	return nil, unimplemented("CreateRoom")
}

// CloseRoom is not offered to browsers.
func (n *Node) CloseRoom(context.Context, *pb.CloseRoomRequest, ...grpc.CallOption) (*pb.CloseRoomResponse, error) {
	return nil, unimplemented("CloseRoom")
}

// ListRooms is not offered to browsers.
func (n *Node) ListRooms(context.Context, *pb.ListRoomsRequest, ...grpc.CallOption) (*pb.ListRoomsResponse, error) {
	return nil, unimplemented("ListRooms")
}

// GetRoom is not offered to browsers (they get the roster).
func (n *Node) GetRoom(context.Context, *pb.GetRoomRequest, ...grpc.CallOption) (*pb.GetRoomResponse, error) {
	return nil, unimplemented("GetRoom")
}

// RemoveParticipant is not offered to browsers.
func (n *Node) RemoveParticipant(context.Context, *pb.RemoveParticipantRequest, ...grpc.CallOption) (*pb.RemoveParticipantResponse, error) {
	return nil, unimplemented("RemoveParticipant")
}

// SetHold is not offered to browsers.
func (n *Node) SetHold(context.Context, *pb.SetHoldRequest, ...grpc.CallOption) (*pb.SetHoldResponse, error) {
	return nil, unimplemented("SetHold")
}

// UpdateMedia is not offered to browsers.
func (n *Node) UpdateMedia(context.Context, *pb.UpdateMediaRequest, ...grpc.CallOption) (*pb.UpdateMediaResponse, error) {
	return nil, unimplemented("UpdateMedia")
}

// GrantFloor sends `floor` grant for this participant.
func (n *Node) GrantFloor(ctx context.Context, _ *pb.GrantFloorRequest, _ ...grpc.CallOption) (*pb.FloorResponse, error) {
	return &pb.FloorResponse{}, n.c.Send(ctx, map[string]string{"type": meeting.TypeFloor, "action": "grant"})
}

// ReleaseFloor sends `floor` release for this participant.
func (n *Node) ReleaseFloor(ctx context.Context, _ *pb.ReleaseFloorRequest, _ ...grpc.CallOption) (*pb.FloorResponse, error) {
	return &pb.FloorResponse{}, n.c.Send(ctx, map[string]string{"type": meeting.TypeFloor, "action": "release"})
}

// GetNodeInfo is not offered to browsers.
func (n *Node) GetNodeInfo(context.Context, *pb.GetNodeInfoRequest, ...grpc.CallOption) (*pb.NodeInfo, error) {
	return nil, unimplemented("GetNodeInfo")
}

// Drain is not offered to browsers.
func (n *Node) Drain(context.Context, *pb.DrainRequest, ...grpc.CallOption) (*pb.DrainResponse, error) {
	return nil, unimplemented("Drain")
}
