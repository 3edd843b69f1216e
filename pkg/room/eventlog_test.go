package room

import (
	"errors"
	"testing"
	"time"
)

func fixedNow() time.Time { return time.Unix(1700000000, 0) }

func drain(t *testing.T, s *Subscription, n int) []Event {
	t.Helper()
	var out []Event
	for len(out) < n {
		select {
		case ev, ok := <-s.Events():
			if !ok {
				t.Fatalf("subscription ended after %d events: %v", len(out), s.Err())
			}
			out = append(out, *ev)
		default:
			t.Fatalf("only %d of %d events buffered", len(out), n)
		}
	}
	return out
}

func TestEventLogReplayAndResume(t *testing.T) {
	l := NewEventLog("r", 4, fixedNow)
	for i := 0; i < 3; i++ {
		l.Append(RoomClosed{Reason: "x"})
	}
	all, err := l.Subscribe(0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if evs := drain(t, all, 3); evs[0].Seq != 1 || evs[2].Seq != 3 {
		t.Fatalf("replay from 0: %+v", evs)
	}
	from2, err := l.Subscribe(2, 0)
	if err != nil {
		t.Fatal(err)
	}
	l.Append(ParticipantJoined{ParticipantID: "p"})
	if evs := drain(t, from2, 2); evs[0].Seq != 3 || evs[1].Seq != 4 {
		t.Fatalf("resume after 2: %+v", evs)
	}
	if evs := drain(t, all, 1); evs[0].Seq != 4 {
		t.Fatalf("live: %+v", evs)
	}
}

func TestEventLogHistoryGoneAndFuture(t *testing.T) {
	l := NewEventLog("r", 4, fixedNow)
	for i := 0; i < 10; i++ {
		l.Append(RoomClosed{})
	}
	if _, err := l.Subscribe(3, 0); !errors.Is(err, ErrHistoryGone) {
		t.Errorf("after 3 with history 7..10: %v, want ErrHistoryGone", err)
	}
	if _, err := l.Subscribe(6, 0); err != nil {
		t.Errorf("after 6 is still retained: %v", err)
	}
	if _, err := l.Subscribe(11, 0); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("after 11 (future): %v, want ErrInvalidArgument", err)
	}
	s, err := l.Subscribe(0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if evs := drain(t, s, 4); evs[0].Seq != 7 {
		t.Errorf("replay from 0 starts at %d, want the oldest retained (7)", evs[0].Seq)
	}
}

func TestEventLogSlowSubscriberIsCutOff(t *testing.T) {
	l := NewEventLog("r", 2, fixedNow)
	s, err := l.Subscribe(0, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 10; i++ { // buffer holds 2*history
		l.Append(RoomClosed{})
	}
	n := 0
	for range s.Events() {
		n++
	}
	if n != 4 || !errors.Is(s.Err(), ErrSlowSubscriber) {
		t.Errorf("got %d events, err %v; want 4 then ErrSlowSubscriber", n, s.Err())
	}
	l.Close()
	if _, err := l.Subscribe(0, 0); !errors.Is(err, ErrClosed) {
		t.Errorf("subscribe after close: %v", err)
	}
}
