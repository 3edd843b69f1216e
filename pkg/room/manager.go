package room

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/switchyard-sfu/switchyard/pkg/roap"
)

// Defaults that protect a small node.
const (
	DefaultMaxParticipants = 100
	DefaultSignalTimeout   = 10 * time.Second
)

// ManagerOptions configure a Manager.
type ManagerOptions struct {
	// Media builds the PeerConnections; required.
	Media  *Media
	Logger *zap.Logger
	// Now is the clock for event times; default time.Now.
	Now func() time.Time
	// MaxParticipants applies to rooms created without their own limit.
	MaxParticipants int
	// EventHistory is how many events each room keeps for resuming
	// subscribers.
	EventHistory int
	// SignalTimeout bounds ICE gathering while building an SDP.
	SignalTimeout time.Duration
	// Limits protect the node; zero fields take defaults.
	Limits Limits
	// Congestion configures per-connection congestion control.
	Congestion CongestionOptions
}

// Manager owns the rooms of one node and routes connection ids to rooms.
type Manager struct {
	o        ManagerOptions
	log      *zap.Logger
	traffic  *traffic
	cc       congestionRegistry
	draining atomic.Bool

	mu    sync.RWMutex
	rooms map[string]*Room
	conns map[string]*Room // connection id -> room
}

// NewManager returns a Manager with no rooms.
func NewManager(o ManagerOptions) *Manager {
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.MaxParticipants <= 0 {
		o.MaxParticipants = DefaultMaxParticipants
	}
	if o.SignalTimeout <= 0 {
		o.SignalTimeout = DefaultSignalTimeout
	}
	o.Limits = o.Limits.withDefaults()
	return &Manager{
		o:       o,
		log:     o.Logger,
		traffic: newTraffic(),
		rooms:   make(map[string]*Room),
		conns:   make(map[string]*Room),
	}
}

// RoomOptions are fixed when a room is created.
type RoomOptions struct {
	// MaxParticipants limits distinct participants (not devices); 0 means
	// the node default.
	MaxParticipants int
}

// RoomSummary describes a room at a glance.
type RoomSummary struct {
	ID           string
	Options      RoomOptions
	Participants int
	Connections  int
	LastEventSeq uint64
	Created      time.Time
}

// CreateRoom creates a room, or returns the existing one with created=false
// when the options match. A draining node refuses new rooms.
func (m *Manager) CreateRoom(id string, opts RoomOptions) (RoomSummary, bool, error) {
	if err := validateID("room_id", id); err != nil {
		return RoomSummary{}, false, err
	}
	if opts.MaxParticipants < 0 {
		return RoomSummary{}, false, fmt.Errorf("%w: max_participants must not be negative", ErrInvalidArgument)
	}
	if opts.MaxParticipants == 0 {
		opts.MaxParticipants = m.o.MaxParticipants
	}
	m.mu.Lock()
	if r, ok := m.rooms[id]; ok {
		m.mu.Unlock()
		if r.opts != opts {
			return RoomSummary{}, false, fmt.Errorf("room %q: %w (max_participants %d, asked %d)", id, ErrRoomExists, r.opts.MaxParticipants, opts.MaxParticipants)
		}
		s, err := r.Summary(context.Background())
		return s, false, err
	}
	if m.draining.Load() {
		m.mu.Unlock()
		return RoomSummary{}, false, fmt.Errorf("room %q: %w", id, ErrDraining)
	}
	if len(m.rooms) >= m.o.Limits.Rooms {
		m.mu.Unlock()
		return RoomSummary{}, false, fmt.Errorf("%w: the node holds %d rooms (limits.rooms)", ErrLimit, len(m.rooms))
	}
	r := newRoom(m, id, opts)
	m.rooms[id] = r
	m.mu.Unlock()
	m.log.Info("room created", zap.String("room", id), zap.Int("max_participants", opts.MaxParticipants))
	s, err := r.Summary(context.Background())
	return s, true, err
}

// Room returns the room with id.
func (m *Manager) Room(id string) (*Room, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	r, ok := m.rooms[id]
	if !ok {
		return nil, fmt.Errorf("room %q: %w", id, ErrRoomNotFound)
	}
	return r, nil
}

func (m *Manager) roomOfConnection(connID string) (*Room, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	r, ok := m.conns[connID]
	if !ok {
		return nil, fmt.Errorf("connection %q: %w", connID, ErrConnectionNotFound)
	}
	return r, nil
}

func (m *Manager) indexConnection(connID string, r *Room) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if r == nil {
		delete(m.conns, connID)
		return
	}
	m.conns[connID] = r
}

// ListRooms summarizes every room, sorted by id.
func (m *Manager) ListRooms(ctx context.Context) ([]RoomSummary, error) {
	m.mu.RLock()
	rooms := make([]*Room, 0, len(m.rooms))
	for _, r := range m.rooms {
		rooms = append(rooms, r)
	}
	m.mu.RUnlock()
	out := make([]RoomSummary, 0, len(rooms))
	for _, r := range rooms {
		s, err := r.Summary(ctx)
		if err != nil {
			continue // closed meanwhile
		}
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// CloseRoom closes every connection of the room and removes it.
func (m *Manager) CloseRoom(ctx context.Context, id, reason string) error {
	r, err := m.Room(id)
	if err != nil {
		return err
	}
	if reason == "" {
		reason = "room closed"
	}
	return r.close(ctx, reason)
}

func (m *Manager) forgetRoom(r *Room) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.rooms[r.id] == r {
		delete(m.rooms, r.id)
	}
}

// Join adds a device to a room.
func (m *Manager) Join(ctx context.Context, p JoinParams) (JoinResult, error) {
	if err := p.validate(); err != nil {
		return JoinResult{}, err
	}
	r, err := m.Room(p.RoomID)
	if err != nil {
		return JoinResult{}, err
	}
	return r.join(ctx, p)
}

// Roap delivers a client's ROAP message to its connection. The reply is nil
// when the protocol calls for none.
func (m *Manager) Roap(ctx context.Context, connID string, msg roap.Message) (*roap.Message, error) {
	var reply *roap.Message
	err := m.onConnection(ctx, connID, func(_ *Room, c *Connection) error {
		var err error
		reply, err = c.handleRoap(ctx, msg)
		return err
	})
	return reply, err
}

// Leave closes one connection.
func (m *Manager) Leave(ctx context.Context, connID string) error {
	return m.onConnection(ctx, connID, func(r *Room, c *Connection) error {
		r.closeConnection(c, "left")
		return nil
	})
}

// onConnection runs fn on the actor of connID's room, with the connection.
func (m *Manager) onConnection(ctx context.Context, connID string, fn func(r *Room, c *Connection) error) error {
	if err := validateID("connection_id", connID); err != nil {
		return err
	}
	r, err := m.roomOfConnection(connID)
	if err != nil {
		return err
	}
	return r.do(ctx, func() error {
		c, ok := r.conns[connID]
		if !ok {
			return fmt.Errorf("connection %q: %w", connID, ErrConnectionNotFound)
		}
		return fn(r, c)
	})
}

// RemoveParticipant closes every connection of a participant and returns how
// many there were.
func (m *Manager) RemoveParticipant(ctx context.Context, roomID, participantID, reason string) (int, error) {
	if err := validateID("participant_id", participantID); err != nil {
		return 0, err
	}
	r, err := m.Room(roomID)
	if err != nil {
		return 0, err
	}
	if reason == "" {
		reason = "removed"
	}
	return r.removeParticipant(ctx, participantID, reason)
}

// Subscribe opens an event subscription on a room; see EventLog.Subscribe.
func (m *Manager) Subscribe(roomID string, after uint64) (*Subscription, error) {
	r, err := m.Room(roomID)
	if err != nil {
		return nil, err
	}
	return r.events.Subscribe(after, m.o.Limits.EventSubscribersPerRoom)
}

// Drain makes the node refuse new rooms; existing rooms carry on. The first
// call announces it in every room's events, with the deadline (zero: none)
// by which the node will close what is left.
func (m *Manager) Drain(deadline time.Time) {
	if m.draining.Swap(true) {
		return
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	for _, r := range m.rooms {
		r.events.Append(NodeDraining{Deadline: deadline})
	}
}

// Draining reports whether Drain was called.
func (m *Manager) Draining() bool { return m.draining.Load() }

// RoomCount is the number of open rooms.
func (m *Manager) RoomCount() int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return len(m.rooms)
}

// Close closes every room. It returns when they are closed or ctx ends.
func (m *Manager) Close(ctx context.Context) error {
	m.mu.RLock()
	rooms := make([]*Room, 0, len(m.rooms))
	for _, r := range m.rooms {
		rooms = append(rooms, r)
	}
	m.mu.RUnlock()
	var first error
	for _, r := range rooms {
		if err := r.close(ctx, "node shutting down"); err != nil && first == nil {
			first = err
		}
	}
	return first
}
