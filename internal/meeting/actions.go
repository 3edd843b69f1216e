package meeting

import (
	"context"

	"github.com/coder/websocket"
	"go.uber.org/zap"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/switchyard-sfu/switchyard/api/proto/switchyard/v1"
)

// What a joined browser can ask for; each runs on the session's worker.

// join places the meeting, creates its room and joins the browser's
// connection in slots mode with fresh participant and device ids.
func (s *session) join(ctx context.Context, msg *JoinMsg) error {
	if s.meeting != nil {
		return errAlreadyJoined
	}
	if err := validateMeeting(msg.Meeting); err != nil {
		return err
	}
	if err := validateName(msg.Name); err != nil {
		return err
	}
	offer, err := RoapToPB(msg.Roap)
	if err != nil {
		return err
	}
	if offer.GetMessageType() != pb.RoapMessageType_ROAP_OFFER {
		return invalid("join needs the first ROAP OFFER, got %s", msg.Roap.MessageType)
	}
	m, err := s.svc.acquire(msg.Meeting)
	if err != nil {
		return err
	}
	n, err := m.ensure(ctx)
	if err != nil {
		s.svc.release(m)
		return err
	}
	pid, did := newID("p-"), newID("d-")
	cctx, cancel := context.WithTimeout(ctx, s.svc.o.CallTimeout)
	res, err := n.api.Join(cctx, &pb.JoinRequest{
		RoomId: msg.Meeting, ParticipantId: pid, DeviceId: did, DisplayName: msg.Name,
		Offer: offer, SubscribeMode: pb.SubscribeMode_SUBSCRIBE_MODE_SLOTS,
	})
	cancel()
	if err != nil {
		if d := roapErrorDetail(err); d != nil {
			s.send(RoapOutMsg{Type: TypeRoap, Roap: RoapFromPB(d)})
		}
		s.svc.release(m)
		return err
	}
	s.meeting, s.participantID, s.connID = m, pid, res.GetConnectionId()
	s.logp.Store(s.log().With(zap.String("meeting", msg.Meeting), zap.String("participant", pid), zap.String("connection", s.connID)))
	s.log().Info("joined", zap.String("node", n.id()))
	m.attach(s, JoinedMsg{Type: TypeJoined, Meeting: msg.Meeting, ParticipantID: pid, ConnectionID: s.connID,
		Node: n.id(), Roap: RoapFromPB(res.GetAnswer())})
	return nil
}

// roap relays one ROAP message; the node's reply, if any, goes back.
func (s *session) roap(ctx context.Context, msg *RoapMsg) error {
	r, err := RoapToPB(msg.Roap)
	if err != nil {
		return err
	}
	cctx, cancel := context.WithTimeout(ctx, s.svc.o.CallTimeout)
	defer cancel()
	res, err := s.meeting.nodeOf().api.Roap(cctx, &pb.RoapRequest{ConnectionId: s.connID, Message: r})
	if err != nil {
		if d := roapErrorDetail(err); d != nil {
			s.send(RoapOutMsg{Type: TypeRoap, Roap: RoapFromPB(d)})
		}
		return err
	}
	if res.GetReply() != nil {
		s.send(RoapOutMsg{Type: TypeRoap, Roap: RoapFromPB(res.GetReply())})
	}
	return nil
}

// mediaRequest sets what the browser's slots receive.
func (s *session) mediaRequest(ctx context.Context, msg *MediaRequestMsg) error {
	req, err := mediaRequestToPB(s.connID, msg)
	if err != nil {
		return err
	}
	cctx, cancel := context.WithTimeout(ctx, s.svc.o.CallTimeout)
	defer cancel()
	ack, err := s.meeting.nodeOf().api.RequestMedia(cctx, req)
	if err != nil {
		return err
	}
	s.send(MediaRequestAckMsg{Type: TypeMediaRequestAck, Seq: ack.GetSeq(), Applied: ack.GetApplied(), Slots: slotsJS(ack.GetSlots())})
	return nil
}

// mute mutes or unmutes someone on behalf of this browser's participant;
// everyone learns it from the muteChanged event.
func (s *session) mute(ctx context.Context, msg *MuteMsg) error {
	req, err := muteToPB(s.meeting.name, s.participantID, msg)
	if err != nil {
		return err
	}
	cctx, cancel := context.WithTimeout(ctx, s.svc.o.CallTimeout)
	defer cancel()
	_, err = s.meeting.nodeOf().api.SetMute(cctx, req)
	return err
}

// floor takes or gives back the share floor for this participant;
// everyone learns it from the floorChanged event.
func (s *session) floor(ctx context.Context, msg *FloorMsg) error {
	cctx, cancel := context.WithTimeout(ctx, s.svc.o.CallTimeout)
	defer cancel()
	api := s.meeting.nodeOf().api
	var err error
	switch msg.Action {
	case "grant":
		_, err = api.GrantFloor(cctx, &pb.GrantFloorRequest{RoomId: s.meeting.name, ParticipantId: s.participantID})
	case "release":
		_, err = api.ReleaseFloor(cctx, &pb.ReleaseFloorRequest{RoomId: s.meeting.name, ParticipantId: s.participantID})
	default:
		err = invalid("action must be grant or release, got %q", truncate(msg.Action, 40))
	}
	return err
}

// leave takes the browser's connection off the node (bounded by
// LeaveTimeout; not when the node already ended it) and forgets it. With tell, the browser gets `left` and the
// socket closes.
func (s *session) leave(reason string, tell bool) {
	m := s.meeting
	if m == nil {
		return
	}
	s.meeting = nil
	if m.detach(s.connID, s) {
		ctx, cancel := context.WithTimeout(context.Background(), s.svc.o.LeaveTimeout)
		_, err := m.nodeOf().api.Leave(ctx, &pb.LeaveRequest{ConnectionId: s.connID})
		cancel()
		if err != nil && status.Code(err) != codes.NotFound {
			s.log().Warn("leave on node", zap.Error(err))
		} else {
			s.log().Info("left")
		}
	}
	s.svc.release(m)
	if tell {
		s.finish(LeftMsg{Type: TypeLeft, Reason: reason}, websocket.StatusNormalClosure, reason)
	}
}
