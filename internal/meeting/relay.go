package meeting

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/coder/websocket"
	"go.uber.org/zap"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/switchyard-sfu/switchyard/api/proto/switchyard/v1"
)

// Relay reconnection: the first retry comes quickly, later ones back off;
// a node that stays unreachable for relayGiveUp ends the meeting.
const (
	relayRetryMin = 100 * time.Millisecond
	relayRetryMax = 2 * time.Second
	relayGiveUp   = 30 * time.Second
)

// runRelay follows the room's Events stream on n and applies every event,
// resuming after the last one seen when the stream breaks.
func (m *meeting) runRelay(ctx context.Context, n *node) {
	backoff := relayRetryMin
	var failingSince time.Time
	for {
		m.mu.Lock()
		after := m.lastSeq
		m.mu.Unlock()
		err := m.follow(ctx, n, after)
		if ctx.Err() != nil {
			return
		}
		switch status.Code(err) {
		case codes.OK:
			// The stream ended cleanly: the room closed (its last event
			// ended the meeting).
			return
		case codes.NotFound:
			m.mu.Lock()
			m.end(ReasonRoomClosed)
			m.mu.Unlock()
			return
		case codes.OutOfRange:
			// The node's history no longer reaches back: resync.
			if m.resync(ctx, n) == nil {
				failingSince, backoff = time.Time{}, relayRetryMin
				continue
			}
		}
		if failingSince.IsZero() {
			failingSince = time.Now()
		} else if time.Since(failingSince) > relayGiveUp {
			m.log.Warn("lost the meeting's node", zap.String("node", n.id()), zap.Error(err))
			m.mu.Lock()
			m.end(ReasonRoomClosed)
			m.mu.Unlock()
			return
		}
		m.log.Debug("events stream broke, resuming", zap.Uint64("after_seq", after), zap.Error(err))
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, relayRetryMax)
	}
}

// follow reads one Events stream until it ends. A clean end (after
// room_closed) returns nil.
func (m *meeting) follow(ctx context.Context, n *node, after uint64) error {
	stream, err := n.api.Events(ctx, &pb.EventsRequest{RoomId: m.name, AfterSeq: after})
	if err != nil {
		return err
	}
	for {
		ev, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		m.apply(n, ev)
	}
}

// resync rebuilds the roster from GetRoom and continues after its last
// event; browsers get the fresh roster.
func (m *meeting) resync(ctx context.Context, n *node) error {
	cctx, cancel := context.WithTimeout(ctx, m.svc.o.CallTimeout)
	defer cancel()
	room, err := n.api.GetRoom(cctx, &pb.GetRoomRequest{RoomId: m.name})
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.roster.reset(room)
	m.lastSeq = room.GetRoom().GetLastEventSeq()
	m.broadcast(m.roster.message())
	return nil
}

// apply routes one event to the browsers it concerns.
func (m *meeting) apply(n *node, ev *pb.Event) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if ev.GetSeq() <= m.lastSeq || m.ended {
		return // already seen before a resume
	}
	m.lastSeq = ev.GetSeq()
	if m.roster.apply(ev) {
		m.broadcast(m.roster.message())
	}
	switch p := ev.GetPayload().(type) {
	case *pb.Event_Roap, *pb.Event_SlotStatus:
		conn := eventConn(ev)
		if s, ok := m.byConn[conn]; ok {
			m.deliver(s, ev)
			return
		}
		m.pending = append(m.pending, ev)
		if len(m.pending) > pendingLimit {
			m.pending = m.pending[len(m.pending)-pendingLimit:]
		}
	case *pb.Event_ActiveSpeakers:
		m.broadcast(ActiveSpeakersMsg{Type: TypeActiveSpeakers, SourceIDs: nonNil(p.ActiveSpeakers.GetSourceIds())})
	case *pb.Event_MuteChanged:
		mc := p.MuteChanged
		m.broadcast(MuteChangedMsg{Type: TypeMuteChanged, ParticipantID: mc.GetParticipantId(), Kind: kindName(mc.GetKind()),
			Content: contentName(mc.GetContent()), Muted: mc.GetMuted(), By: mc.GetByParticipantId()})
	case *pb.Event_FloorChanged:
		m.broadcast(FloorChangedMsg{Type: TypeFloorChanged, ParticipantID: p.FloorChanged.GetParticipantId(),
			Previous: p.FloorChanged.GetPreviousParticipantId()})
	case *pb.Event_DeviceLeft:
		// The node closed a browser's connection (removed, its transport
		// failed for good, or the room is closing): that browser's
		// session is over. A room closes its connections before its
		// room_closed event, so on a draining node the drain is the
		// reason the browser is told (it may rejoin elsewhere).
		if s, ok := m.byConn[p.DeviceLeft.GetConnectionId()]; ok {
			delete(m.byConn, p.DeviceLeft.GetConnectionId())
			reason := ReasonRemoved
			if n.isDraining() {
				reason = ReasonNodeDraining
			}
			s.finish(LeftMsg{Type: TypeLeft, Reason: reason}, websocket.StatusNormalClosure, reason)
		}
	case *pb.Event_NodeDraining:
		// The meeting carries on here; new meetings go elsewhere.
		n.markDraining()
		m.log.Info("meeting's node is draining", zap.String("node", n.id()),
			zap.Int64("deadline_unix_ms", p.NodeDraining.GetDeadlineUnixMs()))
	case *pb.Event_RoomClosed:
		reason := ReasonRoomClosed
		if n.isDraining() {
			reason = ReasonNodeDraining
		}
		m.end(reason)
	}
}

// deliver sends a connection-addressed event to its browser. Called with mu.
func (m *meeting) deliver(s *session, ev *pb.Event) {
	switch p := ev.GetPayload().(type) {
	case *pb.Event_Roap:
		s.send(RoapOutMsg{Type: TypeRoap, Roap: RoapFromPB(p.Roap.GetMessage())})
	case *pb.Event_SlotStatus:
		s.send(SlotsMsg{Type: TypeSlots, RequestSeq: p.SlotStatus.GetRequestSeq(), Slots: slotsJS(p.SlotStatus.GetSlots())})
	}
}

// eventConn is the connection an event is addressed to, if any.
func eventConn(ev *pb.Event) string {
	switch p := ev.GetPayload().(type) {
	case *pb.Event_Roap:
		return p.Roap.GetConnectionId()
	case *pb.Event_SlotStatus:
		return p.SlotStatus.GetConnectionId()
	}
	return ""
}

func nonNil(ids []uint32) []uint32 {
	if ids == nil {
		return []uint32{}
	}
	return ids
}
