package room

import (
	"fmt"
	"sync"
	"time"
)

// DefaultEventHistory is how many events a room keeps for subscribers that
// resume after a disconnect.
const DefaultEventHistory = 1024

// EventLog is a room's ordered event log with a bounded history and live
// subscribers. Append is called by the room actor; Subscribe by gRPC stream
// handlers. mu guards everything.
type EventLog struct {
	mu      sync.Mutex
	roomID  string
	now     func() time.Time
	ring    []*Event // ring[(seq-1) % len(ring)] holds event seq
	last    uint64   // seq of the newest event, 0 before the first
	subs    map[*Subscription]struct{}
	closed  bool
	history int
}

// NewEventLog returns an empty log keeping history events.
func NewEventLog(roomID string, history int, now func() time.Time) *EventLog {
	if history <= 0 {
		history = DefaultEventHistory
	}
	if now == nil {
		now = time.Now
	}
	return &EventLog{
		roomID:  roomID,
		now:     now,
		ring:    make([]*Event, history),
		subs:    make(map[*Subscription]struct{}),
		history: history,
	}
}

// Append assigns the next sequence number to p, keeps it in the history and
// hands it to every live subscriber. A subscriber whose buffer is full is
// ended with ErrSlowSubscriber rather than stalling the room.
func (l *EventLog) Append(p EventPayload) Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return Event{}
	}
	l.last++
	ev := &Event{Seq: l.last, RoomID: l.roomID, Time: l.now(), Payload: p}
	l.ring[(ev.Seq-1)%uint64(len(l.ring))] = ev
	for s := range l.subs {
		select {
		case s.ch <- ev:
		default:
			l.endLocked(s, ErrSlowSubscriber)
		}
	}
	return *ev
}

// LastSeq is the sequence number of the newest event (0 if none).
func (l *EventLog) LastSeq() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.last
}

// Subscribe returns a subscription delivering every event after seq after,
// then live events. after == 0 means "everything still retained". If the
// history no longer holds after+1, it fails with ErrHistoryGone and the
// caller must resync. max > 0 bounds the number of live subscriptions
// (ErrLimit beyond it).
func (l *EventLog) Subscribe(after uint64, max int) (*Subscription, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, fmt.Errorf("room %q: %w", l.roomID, ErrClosed)
	}
	if max > 0 && len(l.subs) >= max {
		return nil, fmt.Errorf("%w: room %q has %d event subscribers (limits.event_subscribers_per_room)", ErrLimit, l.roomID, len(l.subs))
	}
	if after > l.last {
		return nil, fmt.Errorf("%w: after_seq %d is beyond the room's last event %d", ErrInvalidArgument, after, l.last)
	}
	oldest := uint64(1)
	if l.last > uint64(len(l.ring)) {
		oldest = l.last - uint64(len(l.ring)) + 1
	}
	if after == 0 {
		after = oldest - 1
	}
	if after+1 < oldest {
		return nil, fmt.Errorf("%w: asked for events after %d, oldest kept is %d", ErrHistoryGone, after, oldest)
	}
	// The buffer holds pointers to the log's events (shared by every
	// subscriber), not copies: it is allocated whole for each subscriber
	// (every bench or pkg/client participant follows its room's events), and
	// 2*history Event values would be 128 KiB per subscriber at the default
	// history, 16 KiB as pointers.
	s := &Subscription{log: l, ch: make(chan *Event, 2*l.history)}
	for seq := after + 1; seq <= l.last; seq++ {
		s.ch <- l.ring[(seq-1)%uint64(len(l.ring))]
	}
	l.subs[s] = struct{}{}
	return s, nil
}

// Close ends every subscription normally; later Appends are ignored.
func (l *EventLog) Close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	for s := range l.subs {
		l.endLocked(s, nil)
	}
}

func (l *EventLog) endLocked(s *Subscription, err error) {
	if _, ok := l.subs[s]; !ok {
		return
	}
	delete(l.subs, s)
	s.err = err
	close(s.ch)
}

// Subscription is one reader of an EventLog.
type Subscription struct {
	log *EventLog
	ch  chan *Event
	err error // set before ch is closed, under log.mu
}

// Events delivers the events in order; it is closed when the subscription
// ends (room closed, subscriber too slow, or Close). The events are shared
// with the log's other subscribers and must not be modified.
func (s *Subscription) Events() <-chan *Event { return s.ch }

// Err says why the subscription ended once Events is closed: nil when the
// room closed or Close was called, ErrSlowSubscriber when it fell behind.
func (s *Subscription) Err() error {
	s.log.mu.Lock()
	defer s.log.mu.Unlock()
	return s.err
}

// Close ends the subscription.
func (s *Subscription) Close() {
	s.log.mu.Lock()
	defer s.log.mu.Unlock()
	s.log.endLocked(s, nil)
}
