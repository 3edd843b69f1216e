package meeting

import (
	"context"
	"fmt"
	"sync"

	"github.com/coder/websocket"
	"go.uber.org/zap"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/switchyard-sfu/switchyard/api/proto/switchyard/v1"
)

// pendingLimit bounds the events kept for connections no browser has
// claimed yet: the node may address a new connection (its slot status, a
// follow-up OFFER) before its Join reply reaches the service.
const pendingLimit = 128

// meeting is one meeting: the room on its node, the browsers in it, the
// room's event relay and the roster. One per meeting name while any
// browser is in it or joining it (refs, counted by the Service).
type meeting struct {
	svc  *Service
	name string
	log  *zap.Logger

	// setup serializes placement and relay start for this meeting.
	setup sync.Mutex

	// mu guards everything below; the relay goroutine applies events
	// under it, sessions attach and detach under it. Nothing under mu
	// blocks: sends to browsers are queued.
	mu       sync.Mutex
	node     *node
	ended    bool // the room is gone (closed, or its node lost it)
	byConn   map[string]*session
	roster   *roster
	lastSeq  uint64
	pending  []*pb.Event // for connections not claimed yet, oldest first
	relay    context.CancelFunc
	relayEnd chan struct{}
}

func newMeeting(svc *Service, name string) *meeting {
	return &meeting{svc: svc, name: name, log: svc.log.With(zap.String("meeting", name)),
		byConn: map[string]*session{}, roster: newRoster()}
}

// ensure returns the meeting's node, placing the meeting and starting its
// relay first if needed: the node that already hosts the room (even a
// draining one), else the least loaded node that accepts new rooms.
func (m *meeting) ensure(ctx context.Context) (*node, error) {
	m.setup.Lock()
	defer m.setup.Unlock()
	m.mu.Lock()
	n, ended := m.node, m.ended
	m.mu.Unlock()
	if n != nil && !ended {
		return n, nil
	}
	m.stopRelay()
	if err := m.svc.waitTeardown(ctx, m.name); err != nil {
		return nil, err
	}
	n, err := m.svc.pool.find(ctx, m.name)
	if err != nil {
		return nil, err
	}
	if n == nil {
		if n, err = m.svc.pool.place(ctx, m.name); err != nil {
			return nil, err
		}
	}
	cctx, cancel := context.WithTimeout(ctx, m.svc.o.CallTimeout)
	room, err := n.api.GetRoom(cctx, &pb.GetRoomRequest{RoomId: m.name})
	cancel()
	if err != nil {
		return nil, fmt.Errorf("describe meeting on %s: %w", n.addr, err)
	}
	rctx, rcancel := context.WithCancel(m.svc.ctx)
	end := make(chan struct{})
	m.mu.Lock()
	m.node, m.ended = n, false
	m.roster.reset(room)
	m.lastSeq = room.GetRoom().GetLastEventSeq()
	m.pending = nil
	m.relay, m.relayEnd = rcancel, end
	m.mu.Unlock()
	go func() {
		defer close(end)
		m.runRelay(rctx, n)
	}()
	return n, nil
}

// stopRelay ends the relay goroutine, if one runs, and waits for it.
func (m *meeting) stopRelay() {
	m.mu.Lock()
	cancel, end := m.relay, m.relayEnd
	m.relay, m.relayEnd = nil, nil
	m.mu.Unlock()
	if cancel != nil {
		cancel()
		<-end
	}
}

// attach routes the connection's events to s and sends s its joined
// reply, the roster and anything the node addressed to the connection
// before now, in that order.
func (m *meeting) attach(s *session, joined JoinedMsg) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.ended {
		s.finish(LeftMsg{Type: TypeLeft, Reason: ReasonRoomClosed}, websocket.StatusNormalClosure, ReasonRoomClosed)
		return
	}
	m.byConn[joined.ConnectionID] = s
	s.send(joined)
	s.send(m.roster.message())
	kept := m.pending[:0]
	for _, ev := range m.pending {
		if eventConn(ev) == joined.ConnectionID {
			m.deliver(s, ev)
		} else {
			kept = append(kept, ev)
		}
	}
	m.pending = kept
}

// detach stops routing the connection's events to s. It reports false when
// the node had already ended the connection (or the room).
func (m *meeting) detach(connID string, s *session) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.byConn[connID] != s {
		return false
	}
	delete(m.byConn, connID)
	return true
}

// nodeOf returns the node the meeting is on (nil before placement).
func (m *meeting) nodeOf() *node {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.node
}

// broadcast sends v to every browser of the meeting. Called with mu.
func (m *meeting) broadcast(v any) {
	if len(m.byConn) == 0 {
		return
	}
	data := encode(v)
	for _, s := range m.byConn {
		s.sendEncoded(data)
	}
}

// end closes every browser's session with reason. Called with mu.
func (m *meeting) end(reason string) {
	m.ended = true
	for id, s := range m.byConn {
		s.finish(LeftMsg{Type: TypeLeft, Reason: reason}, websocket.StatusNormalClosure, reason)
		delete(m.byConn, id)
	}
	m.pending = nil
}

// teardown runs after the last browser is gone: it stops the relay and
// closes the room on its node if nobody else (such as the node's own demo
// participants) is in it, so empty rooms don't pile up on the nodes.
func (m *meeting) teardown() {
	m.stopRelay()
	m.mu.Lock()
	n, ended := m.node, m.ended
	m.mu.Unlock()
	if n == nil || ended {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), m.svc.o.CallTimeout)
	defer cancel()
	room, err := n.api.GetRoom(ctx, &pb.GetRoomRequest{RoomId: m.name})
	if err != nil {
		if status.Code(err) != codes.NotFound {
			m.log.Warn("describe meeting at teardown", zap.Error(err))
		}
		return
	}
	if len(room.GetParticipants()) > 0 {
		return
	}
	if _, err := n.api.CloseRoom(ctx, &pb.CloseRoomRequest{RoomId: m.name, Reason: "meeting ended"}); err != nil && status.Code(err) != codes.NotFound {
		m.log.Warn("close empty meeting", zap.Error(err))
		return
	}
	m.log.Info("meeting ended", zap.String("node", n.id()))
}
