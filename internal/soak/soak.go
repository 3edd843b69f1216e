// Package soak churns joins and leaves against a node (publishing, media
// requests, slots) and samples the process's resources before, during and
// after, so that leaks show as figures that do not return to baseline. The
// short version runs as a test (test/e2e); bench/cmd/soak runs it against a
// node process for minutes and writes the report.
package soak

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/webrtc/v4"
	"go.uber.org/zap"

	pb "github.com/switchyard-sfu/switchyard/api/proto/switchyard/v1"
	"github.com/switchyard-sfu/switchyard/pkg/client"
)

// Sample is one reading of a process's resources.
type Sample struct {
	At         time.Time `json:"at"`
	Goroutines int       `json:"goroutines"`
	RSSBytes   int64     `json:"rss_bytes"`
	FDs        int       `json:"fds"`
	UDPSockets int       `json:"udp_sockets"`
}

// Options configure a run.
type Options struct {
	// Node is the node under test; required.
	Node pb.MediaNodeClient
	// Duration of the churn (default 30 s).
	Duration time.Duration
	// Workers churning in parallel (default 3), each in its own room.
	Workers int
	// Sample reads the node's resources; required.
	Sample func() (Sample, error)
	// SampleEvery during the churn (default Duration/10).
	SampleEvery time.Duration
	// Settle bounds the wait for the figures to return to baseline after
	// the churn (default 30 s).
	Settle time.Duration
	Logger *zap.Logger
}

// Report is the outcome of a run.
type Report struct {
	Duration       time.Duration `json:"duration_ns"`
	Cycles         int64         `json:"cycles"`
	Errors         int64         `json:"errors"`
	Before         Sample        `json:"before"`
	During         []Sample      `json:"during"`
	After          Sample        `json:"after"`
	ReturnedToBase bool          `json:"returned_to_baseline"`
}

// ErrNotSettled is returned when goroutines or descriptors stay above the
// baseline after the churn.
var ErrNotSettled = errors.New("resources did not return to baseline")

// Run churns for o.Duration: each cycle a publisher (audio and 3-layer
// simulcast video) and a slots receiver join, the receiver asks for the
// publisher's media and gets it, then both leave. It returns the report and
// ErrNotSettled when the process does not return to its baseline.
func Run(ctx context.Context, o Options) (Report, error) {
	if o.Node == nil || o.Sample == nil {
		return Report{}, errors.New("soak: Node and Sample are required")
	}
	if o.Duration <= 0 {
		o.Duration = 30 * time.Second
	}
	if o.Workers <= 0 {
		o.Workers = 3
	}
	if o.SampleEvery <= 0 {
		o.SampleEvery = max(o.Duration/10, time.Second)
	}
	if o.Settle <= 0 {
		o.Settle = 30 * time.Second
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	var rep Report
	// Connect first, so the control connection is part of the baseline.
	if _, err := o.Node.ListRooms(ctx, &pb.ListRoomsRequest{}); err != nil {
		return rep, fmt.Errorf("soak: node unreachable: %w", err)
	}
	before, err := o.Sample()
	if err != nil {
		return rep, err
	}
	rep.Before = before

	var cycles, errs atomic.Int64
	runCtx, cancel := context.WithTimeout(ctx, o.Duration)
	defer cancel()
	var wg sync.WaitGroup
	for w := 0; w < o.Workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			room := fmt.Sprintf("soak-%d", w)
			if _, err := o.Node.CreateRoom(runCtx, &pb.CreateRoomRequest{RoomId: room}); err != nil {
				errs.Add(1)
				return
			}
			for i := 0; runCtx.Err() == nil; i++ {
				if err := cycle(runCtx, o, room, i); err != nil {
					if runCtx.Err() == nil {
						errs.Add(1)
						o.Logger.Warn("soak cycle", zap.Error(err))
					}
					continue
				}
				cycles.Add(1)
			}
			cctx, ccancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer ccancel()
			_, _ = o.Node.CloseRoom(cctx, &pb.CloseRoomRequest{RoomId: room})
		}()
	}
	tick := time.NewTicker(o.SampleEvery)
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
sampling:
	for {
		select {
		case <-done:
			break sampling
		case <-tick.C:
			if s, err := o.Sample(); err == nil {
				rep.During = append(rep.During, s)
			}
		}
	}
	tick.Stop()
	rep.Duration, rep.Cycles, rep.Errors = o.Duration, cycles.Load(), errs.Load()

	// Wait (bounded) for goroutines and descriptors to come back.
	deadline := time.Now().Add(o.Settle)
	for {
		after, err := o.Sample()
		if err != nil {
			return rep, err
		}
		rep.After = after
		if after.Goroutines <= before.Goroutines && after.FDs <= before.FDs && after.UDPSockets <= before.UDPSockets {
			rep.ReturnedToBase = true
			return rep, nil
		}
		if time.Now().After(deadline) {
			return rep, fmt.Errorf("%w: goroutines %d→%d, fds %d→%d, udp sockets %d→%d", ErrNotSettled,
				before.Goroutines, after.Goroutines, before.FDs, after.FDs, before.UDPSockets, after.UDPSockets)
		}
		select {
		case <-ctx.Done():
			return rep, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// cycle is one join/request/media/leave round in room.
func cycle(ctx context.Context, o Options, room string, i int) error {
	cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	pub, err := client.Join(cctx, client.Options{
		Node: o.Node, RoomID: room, ParticipantID: fmt.Sprintf("pub-%d", i), DeviceID: "d",
		Audio: true, Video: true, Simulcast: lightSimulcast, VideoFPS: 10, LoopbackOnly: true, Logger: o.Logger,
	})
	if err != nil {
		return fmt.Errorf("publisher join: %w", err)
	}
	defer pub.Close()
	rx, err := client.Join(cctx, client.Options{
		Node: o.Node, RoomID: room, ParticipantID: fmt.Sprintf("rx-%d", i), DeviceID: "d",
		AudioSlots: 1, VideoSlots: 2, LoopbackOnly: true, Logger: o.Logger,
	})
	if err != nil {
		return fmt.Errorf("receiver join: %w", err)
	}
	defer rx.Close()
	a, v := pub.SourceIDs()
	video := rx.SlotMids(webrtc.RTPCodecTypeVideo)
	audio := rx.SlotMids(webrtc.RTPCodecTypeAudio)
	req := &pb.MediaRequest{Seq: 1, Requests: []*pb.MediaRequestEntry{
		client.Pinned(v, &pb.MediaLimits{MaxFs: 8192}, video[:1]...),
		client.ActiveSpeaker(100, &pb.MediaLimits{MaxFs: 60}, video[1:]...),
		client.Pinned(a, nil, audio...),
	}}
	// The publisher's sources appear once its first packets arrive.
	for {
		if _, err := rx.RequestMedia(cctx, req); err == nil {
			break
		}
		select {
		case <-cctx.Done():
			return fmt.Errorf("media request: %w", cctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
	// Media flows into the pinned slot.
	for rx.Tracks()["slot-"+video[0]].Packets < 10 {
		select {
		case <-cctx.Done():
			return fmt.Errorf("waiting for media: %w", cctx.Err())
		case <-rx.Changed():
		}
	}
	if err := rx.Leave(cctx); err != nil {
		return err
	}
	return pub.Leave(cctx)
}

// lightSimulcast keeps the generator cheap: Chrome's three resolutions at a
// fraction of the bit rate.
var lightSimulcast = []client.SimulcastLayer{
	{RID: "q", Bitrate: 40_000, Width: 320, Height: 180},
	{RID: "h", Bitrate: 100_000, Width: 640, Height: 360},
	{RID: "f", Bitrate: 250_000, Width: 1280, Height: 720},
}
