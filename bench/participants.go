package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"go.uber.org/zap"

	pb "github.com/switchyard-sfu/switchyard/api/proto/switchyard/v1"
	"github.com/switchyard-sfu/switchyard/pkg/client"
)

// joinTiming is how long each phase of one join took, from the Join call.
type joinTiming struct {
	// RPC: the offer (after local ICE gathering) went through Join and the
	// answer was applied. Connected: ICE and DTLS are up. FirstMedia: the
	// first media packet arrived (after the media request, for slots).
	RPC, Connected, FirstMedia time.Duration
}

// roomLoad is the set of participants in the bench's room.
type roomLoad struct {
	api  pb.MediaNodeClient
	room string
	log  *zap.Logger
	sc   scenario

	pubs []*client.Client
	rxs  []*client.Client
}

func newRoomLoad(ctx context.Context, api pb.MediaNodeClient, room string, sc scenario, log *zap.Logger) (*roomLoad, error) {
	_, err := api.CreateRoom(ctx, &pb.CreateRoomRequest{RoomId: room, Options: &pb.RoomOptions{MaxParticipants: 100000}})
	if err != nil {
		return nil, fmt.Errorf("create room: %w", err)
	}
	return &roomLoad{api: api, room: room, log: log, sc: sc}, nil
}

func (l *roomLoad) options(o client.Options, participant string) client.Options {
	o.Node = l.api
	o.RoomID, o.ParticipantID, o.DeviceID, o.DisplayName = l.room, participant, "d", participant
	o.LoopbackOnly = true
	o.Logger = l.log.With(zap.String("participant", participant))
	return o
}

// joinPublishers joins the scenario's publishers one by one.
func (l *roomLoad) joinPublishers(ctx context.Context, timeout time.Duration) error {
	for i, p := range l.sc.publishers {
		jctx, cancel := context.WithTimeout(ctx, timeout)
		c, err := client.Join(jctx, l.options(p.opts, fmt.Sprintf("pub-%d", i)))
		if err == nil {
			err = c.WaitConnected(jctx)
			if err != nil {
				c.Close()
			}
		}
		cancel()
		if err != nil {
			return fmt.Errorf("publisher %d: %w", i, err)
		}
		c.SetAudioLevel(p.level)
		l.pubs = append(l.pubs, c)
	}
	return nil
}

// joinReceiver joins one receiver, sends its media request and waits for
// its first media packet.
func (l *roomLoad) joinReceiver(ctx context.Context, id int) (*client.Client, joinTiming, error) {
	var t joinTiming
	start := time.Now()
	c, err := client.Join(ctx, l.options(l.sc.receiver, fmt.Sprintf("rx-%d", id)))
	if err != nil {
		return nil, t, err
	}
	t.RPC = time.Since(start)
	if err := c.WaitConnected(ctx); err != nil {
		return c, t, err
	}
	t.Connected = time.Since(start)
	if l.sc.request != nil {
		if _, err := c.RequestMedia(ctx, l.sc.request(c, l.pubs)); err != nil {
			return c, t, fmt.Errorf("request media: %w", err)
		}
	}
	for mediaTracks(c) == 0 {
		select {
		case <-c.Changed():
		case <-ctx.Done():
			return c, t, fmt.Errorf("no media: %w", ctx.Err())
		}
	}
	t.FirstMedia = time.Since(start)
	return c, t, nil
}

// mediaTracks counts c's tracks that have received packets.
func mediaTracks(c *client.Client) int {
	n := 0
	for _, st := range c.Tracks() {
		if st.Packets > 0 {
			n++
		}
	}
	return n
}

// joinReceivers brings the room to n receivers, parallel joins at a time,
// and returns the timings of the joins that completed and how many failed.
// A receiver whose join failed after the node accepted it stays in the
// room (and is counted) so that its connection is still measured.
func (l *roomLoad) joinReceivers(ctx context.Context, n, parallel int, timeout time.Duration) ([]joinTiming, int) {
	var (
		mu      sync.Mutex
		timings []joinTiming
		failed  int
		wg      sync.WaitGroup
		sem     = make(chan struct{}, max(parallel, 1))
	)
	for id := len(l.rxs); id < n; id++ {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			jctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			c, t, err := l.joinReceiver(jctx, id)
			mu.Lock()
			defer mu.Unlock()
			if c != nil {
				l.rxs = append(l.rxs, c)
			}
			if err != nil {
				failed++
				l.log.Warn("receiver join", zap.Int("id", id), zap.Error(err))
				return
			}
			timings = append(timings, t)
		}()
	}
	wg.Wait()
	return timings, failed
}

// waitReady waits until every receiver gets media on the scenario's
// expected number of tracks, or the timeout passes; it returns how many
// are not ready.
func (l *roomLoad) waitReady(ctx context.Context, timeout time.Duration) int {
	deadline := time.Now().Add(timeout)
	for {
		missing := 0
		for _, c := range l.rxs {
			if mediaTracks(c) < l.sc.expect {
				missing++
			}
		}
		if missing == 0 || time.Now().After(deadline) || ctx.Err() != nil {
			return missing
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// leaveAll makes every participant leave, parallel at a time.
func (l *roomLoad) leaveAll(ctx context.Context, parallel int) {
	all := append(append([]*client.Client(nil), l.rxs...), l.pubs...)
	var wg sync.WaitGroup
	sem := make(chan struct{}, max(parallel, 1))
	for _, c := range all {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			lctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			_ = c.Leave(lctx)
		}()
	}
	wg.Wait()
	l.rxs, l.pubs = nil, nil
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	_, _ = l.api.CloseRoom(cctx, &pb.CloseRoomRequest{RoomId: l.room})
}
