package room

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sort"
	"time"

	"go.uber.org/zap"

	"github.com/switchyard-sfu/switchyard/pkg/forwarder"
	"github.com/switchyard-sfu/switchyard/pkg/speaker"
)

// Room is one meeting on this node. Its state is owned by the actor
// goroutine started in newRoom; every method posts to it.
type Room struct {
	id      string
	opts    RoomOptions
	created time.Time
	m       *Manager
	log     *zap.Logger
	events  *EventLog
	ops     chan func()
	done    chan struct{} // closed when the actor exits

	// Owned by the actor goroutine.
	participants map[string]*participant
	conns        map[string]*Connection
	sources      map[uint32]*source // by source id (CSI)
	muted        map[muteKey]bool
	floorHolder  string
	speakers     *speaker.Detector
	speakerOrder []uint32
	levels       map[uint32]forwarder.AudioLevelStats // last sample per audio source
	closed       bool
}

type participant struct {
	id          string
	displayName string
	devices     map[string]*Connection // device id -> connection
}

func newRoom(m *Manager, id string, opts RoomOptions) *Room {
	r := &Room{
		id:           id,
		opts:         opts,
		created:      m.o.Now(),
		m:            m,
		log:          m.log.With(zap.String("room", id)),
		events:       NewEventLog(id, m.o.EventHistory, m.o.Now),
		ops:          make(chan func(), 256),
		done:         make(chan struct{}),
		participants: make(map[string]*participant),
		conns:        make(map[string]*Connection),
		sources:      make(map[uint32]*source),
		muted:        make(map[muteKey]bool),
		speakers:     speaker.NewDetector(speaker.Options{}),
		levels:       make(map[uint32]forwarder.AudioLevelStats),
	}
	go r.run()
	go r.runTicker()
	return r
}

func (r *Room) run() {
	defer close(r.done)
	for fn := range r.ops {
		fn()
		if r.closed {
			return
		}
	}
}

// do runs fn on the actor and waits for its result.
func (r *Room) do(ctx context.Context, fn func() error) error {
	errc := make(chan error, 1)
	select {
	case r.ops <- func() { errc <- fn() }:
	case <-r.done:
		return fmt.Errorf("room %q: %w", r.id, ErrClosed)
	case <-ctx.Done():
		return ctx.Err()
	}
	// Once posted, fn runs to completion (its own work is bounded by
	// SignalTimeout), and the caller waits for it even if ctx ends: fn
	// writes into the caller's variables.
	select {
	case err := <-errc:
		return err
	case <-r.done:
		// The actor may have run fn as its last op.
		select {
		case err := <-errc:
			return err
		default:
			return fmt.Errorf("room %q: %w", r.id, ErrClosed)
		}
	}
}

// post runs fn on the actor without waiting (pion callbacks, timers).
func (r *Room) post(fn func()) {
	select {
	case r.ops <- fn:
	case <-r.done:
	}
}

// ID is the room id.
func (r *Room) ID() string { return r.id }

// Summary describes the room.
func (r *Room) Summary(ctx context.Context) (RoomSummary, error) {
	var s RoomSummary
	err := r.do(ctx, func() error {
		s = r.summary()
		return nil
	})
	return s, err
}

func (r *Room) summary() RoomSummary {
	return RoomSummary{
		ID:           r.id,
		Options:      r.opts,
		Participants: len(r.participants),
		Connections:  len(r.conns),
		LastEventSeq: r.events.LastSeq(),
		Created:      r.created,
	}
}

// ParticipantInfo describes one participant and its devices.
type ParticipantInfo struct {
	ID          string
	DisplayName string
	Devices     []DeviceInfo
}

// DeviceInfo describes one connection.
type DeviceInfo struct {
	DeviceID         string
	ConnectionID     string
	State            ConnectionState
	Published        []TrackInfo
	SubscribedTracks int
	Held             bool
	Slots            []SlotStatus
	// Congestion is the connection's congestion control state; nil when
	// congestion control is disabled.
	Congestion *CongestionStats
}

// Detail returns the summary and every participant, sorted by id.
func (r *Room) Detail(ctx context.Context) (RoomSummary, []ParticipantInfo, error) {
	var (
		s  RoomSummary
		ps []ParticipantInfo
	)
	err := r.do(ctx, func() error {
		s = r.summary()
		for _, p := range r.participants {
			pi := ParticipantInfo{ID: p.id, DisplayName: p.displayName}
			for _, c := range p.devices {
				pi.Devices = append(pi.Devices, c.info())
			}
			sort.Slice(pi.Devices, func(i, j int) bool { return pi.Devices[i].DeviceID < pi.Devices[j].DeviceID })
			ps = append(ps, pi)
		}
		sort.Slice(ps, func(i, j int) bool { return ps[i].ID < ps[j].ID })
		return nil
	})
	return s, ps, err
}

func (r *Room) emit(p EventPayload) { r.events.Append(p) }

func (r *Room) removeParticipant(ctx context.Context, participantID, reason string) (int, error) {
	n := 0
	err := r.do(ctx, func() error {
		p, ok := r.participants[participantID]
		if !ok {
			return fmt.Errorf("participant %q in room %q: %w", participantID, r.id, ErrParticipantNotFound)
		}
		for _, c := range p.devices {
			r.closeConnection(c, reason)
			n++
		}
		return nil
	})
	return n, err
}

// close closes every connection, ends the event log and stops the actor.
func (r *Room) close(ctx context.Context, reason string) error {
	err := r.do(ctx, func() error {
		for _, c := range r.conns {
			r.closeConnection(c, reason)
		}
		r.emit(RoomClosed{Reason: reason})
		r.events.Close()
		r.closed = true
		r.m.forgetRoom(r)
		return nil
	})
	if err != nil {
		return err
	}
	select {
	case <-r.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func newID(prefix string) string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}
