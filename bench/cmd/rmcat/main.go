// Command rmcat runs the RFC 8867 §5.1 congestion-control test (variable
// available capacity, one receiver) through the real node on an emulated
// network and reports how the node's congestion control tracked it: mean
// utilization, queueing delay, time to use a new capacity, time to get
// under a dropped one, frozen pictures, and a plot.
//
// Three publishers send 3-layer simulcast (100 k / 300 k / 900 kbit/s)
// to the node unconstrained; the receiver has one video slot for each, and
// everything the node sends it crosses a token bucket (the schedule's rate,
// a 300 ms queue) and a 50 ms one-way delay (pion/transport vnet). Usage:
//
//	go run ./bench/cmd/rmcat -out bench/results/rmcat
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	pb "github.com/switchyard-sfu/switchyard/api/proto/switchyard/v1"
	"github.com/switchyard-sfu/switchyard/internal/server"
	"github.com/switchyard-sfu/switchyard/pkg/client"
	"github.com/switchyard-sfu/switchyard/pkg/room"
)

// Test parameters.
const (
	publishers  = 3
	sampleEvery = 100 * time.Millisecond
	rateWindow  = 500 * time.Millisecond
	freezeAfter = 200 * time.Millisecond // no new frame for this long: frozen (30 fps sources)
	roomID      = "rmcat"
)

var layers = []client.SimulcastLayer{
	{RID: "q", Bitrate: 100_000, Width: 320, Height: 180},
	{RID: "h", Bitrate: 300_000, Width: 640, Height: 360},
	{RID: "f", Bitrate: 900_000, Width: 1280, Height: 720},
}

func main() {
	out := flag.String("out", "bench/results/rmcat", "directory for report.md, results.json and plot.svg")
	delay := flag.Duration("delay", 50*time.Millisecond, "one-way delay towards the receiver")
	queue := flag.Duration("queue", 300*time.Millisecond, "bottleneck queue, as time at the current rate")
	pacing := flag.Float64("pacing", 0, "pace each connection's video at this multiple of the estimate (0: no pacer, the node's default)")
	flag.Parse()
	res, err := run(*delay, *queue, *pacing)
	if err != nil {
		fmt.Fprintln(os.Stderr, "rmcat:", err)
		os.Exit(1)
	}
	if err := write(*out, res); err != nil {
		fmt.Fprintln(os.Stderr, "rmcat:", err)
		os.Exit(1)
	}
	fmt.Print(res.markdown())
}

// result is one run.
type result struct {
	Command  string    `json:"command"`
	Delay    millis    `json:"delay_ms"`
	Queue    millis    `json:"queue_ms"`
	Pacing   float64   `json:"pacing_factor"`
	Schedule []phase   `json:"schedule"`
	Figures  figures   `json:"figures"`
	Phases   []float64 `json:"phase_utilization"`
	Samples  []sample  `json:"samples"`
}

func run(delay, queue time.Duration, pacing float64) (*result, error) {
	nw, err := newNetwork(publishers, rfc8867[0].Rate, delay, queue)
	if err != nil {
		return nil, err
	}
	defer nw.close()
	log := zap.NewNop()
	media, err := room.NewMediaOnNet(room.MediaOptions{ListenIPs: []string{nodeIP}}, nw.node)
	if err != nil {
		return nil, err
	}
	defer func() { _ = media.Close() }()
	rooms := room.NewManager(room.ManagerOptions{Media: media, Logger: log,
		Congestion: room.CongestionOptions{PacingFactor: pacing}})
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	g := grpc.NewServer(server.ServerOptions()...)
	server.New(rooms, server.Options{NodeID: "rmcat", Logger: log}).Register(g)
	go func() { _ = g.Serve(lis) }()
	defer g.Stop()
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, err
	}
	defer func() { _ = conn.Close() }()
	api := pb.NewMediaNodeClient(conn)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	defer func() {
		cctx, ccancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer ccancel()
		_ = rooms.Close(cctx)
	}()
	if _, err := api.CreateRoom(ctx, &pb.CreateRoomRequest{RoomId: roomID}); err != nil {
		return nil, err
	}
	join := func(id string, o client.Options) (*client.Client, error) {
		o.Node, o.RoomID, o.ParticipantID, o.DeviceID, o.Logger = api, roomID, id, "d", log
		c, err := client.Join(ctx, o)
		if err != nil {
			return nil, fmt.Errorf("join %s: %w", id, err)
		}
		return c, c.WaitConnected(ctx)
	}
	var srcs []uint32
	for i := range publishers {
		p, err := join(fmt.Sprintf("pub%d", i), client.Options{Video: true, Simulcast: layers, VideoFPS: 30, Net: nw.pubs[i]})
		if err != nil {
			return nil, err
		}
		defer p.Close()
		_, v := p.SourceIDs()
		srcs = append(srcs, v)
	}
	rx, err := join("rx", client.Options{VideoSlots: publishers, Net: nw.receiverView})
	if err != nil {
		return nil, err
	}
	defer rx.Close()
	if err := waitLayers(ctx, api, srcs); err != nil {
		return nil, err
	}
	mids := rx.SlotMids(rtpVideo)
	req := &pb.MediaRequest{Seq: 1}
	for i, src := range srcs {
		req.Requests = append(req.Requests, client.Pinned(src, &pb.MediaLimits{MaxFs: 8192}, mids[i]))
	}
	if _, err := rx.RequestMedia(ctx, req); err != nil {
		return nil, err
	}
	samples := sampleRun(ctx, api, nw, rx, mids)
	res := &result{
		Command:  "go run ./bench/cmd/rmcat " + strings.Join(os.Args[1:], " "),
		Delay:    millis(delay),
		Queue:    millis(queue),
		Pacing:   pacing,
		Schedule: rfc8867,
		Samples:  samples,
	}
	res.Figures = compute(rfc8867, samples, sampleEvery)
	res.Phases = phaseUtilization(rfc8867, samples)
	lat := client.LatencyHistogram{}
	for _, mid := range mids {
		lat.Add(rx.Tracks()["slot-"+mid].Latency)
	}
	res.Figures.QueueP50 = millis(max(lat.Quantile(0.5)-delay, 0))
	res.Figures.QueueP95 = millis(max(lat.Quantile(0.95)-delay, 0))
	return res, nil
}

// waitLayers waits until the node sees every layer of every source.
func waitLayers(ctx context.Context, api pb.MediaNodeClient, srcs []uint32) error {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		r, err := api.GetRoom(ctx, &pb.GetRoomRequest{RoomId: roomID})
		if err != nil {
			return err
		}
		ready := 0
		for _, p := range r.GetParticipants() {
			for _, d := range p.GetDevices() {
				for _, t := range d.GetPublishedTracks() {
					active := 0
					for _, l := range t.GetLayers() {
						if l.GetActive() {
							active++
						}
					}
					if active == len(layers) {
						ready++
					}
				}
			}
		}
		if ready == len(srcs) {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("publishers' layers not seen by the node within 30 s")
}

// rateMeter turns a byte counter into a rate over rateWindow.
type rateMeter struct {
	at    []time.Time
	bytes []uint64
}

func (m *rateMeter) add(t time.Time, b uint64) int {
	m.at, m.bytes = append(m.at, t), append(m.bytes, b)
	i := len(m.at) - 1
	j := i
	for j > 0 && t.Sub(m.at[j-1]) <= rateWindow {
		j--
	}
	if j == i || t.Sub(m.at[j]) <= 0 {
		return 0
	}
	return int(float64(m.bytes[i]-m.bytes[j]) * 8 / t.Sub(m.at[j]).Seconds())
}

// sampleRun applies the schedule for testDuration and samples every
// sampleEvery.
func sampleRun(ctx context.Context, api pb.MediaNodeClient, nw *network, rx *client.Client, mids []string) []sample {
	var offered, delivered rateMeter
	lastFrames := make([]uint64, len(mids))
	lastChange := make([]time.Time, len(mids))
	rates := layerRates()
	start := time.Now()
	rate := rfc8867[0].Rate
	nw.setRate(rate)
	tick := time.NewTicker(sampleEvery)
	defer tick.Stop()
	var out []sample
	for now := range tick.C {
		t := now.Sub(start)
		if t >= testDuration {
			break
		}
		if c := capacityAt(rfc8867, t); c != rate {
			rate = c
			nw.setRate(rate)
		}
		s := sample{T: millis(t), Capacity: rate, IdealFit: idealFit(rate, rates, len(mids), false),
			Offered:   offered.add(now, nw.offered.Load()),
			Delivered: delivered.add(now, nw.delivered.Load())}
		if r, err := api.GetRoom(ctx, &pb.GetRoomRequest{RoomId: roomID}); err == nil {
			for _, p := range r.GetParticipants() {
				for _, d := range p.GetDevices() {
					if d.GetConnectionId() != rx.ConnectionID() {
						continue
					}
					cg := d.GetCongestion()
					s.Estimate, s.Allocated = int(cg.GetEstimateBps()), int(cg.GetAllocatedBps())
					s.DelayBased, s.LossBound, s.Acked = int(cg.GetDelayBasedBps()), int(cg.GetLossBoundBps()), int(cg.GetAckedBps())
					s.Wanted, s.Usage, s.Loss = int(cg.GetWantedBps()), cg.GetUsage(), cg.GetLoss()
					for _, st := range d.GetSlots() {
						l := -1
						if st.GetState() == pb.SlotState_SLOT_STATE_LIVE {
							l = int(st.GetLayer())
						}
						s.Layers = append(s.Layers, l)
					}
				}
			}
		}
		tracks := rx.Tracks()
		for i, mid := range mids {
			tr := tracks["slot-"+mid]
			frames := tr.FramesByTID[0] + tr.FramesByTID[1] + tr.FramesByTID[2] + tr.FramesByTID[3]
			switch {
			case frames != lastFrames[i]:
				lastFrames[i], lastChange[i] = frames, now
			case frames > 0 && now.Sub(lastChange[i]) > freezeAfter:
				s.Frozen++
				if i < len(s.Layers) && s.Layers[i] < 0 {
					s.FrozenPaused++
				}
			}
		}
		out = append(out, s)
	}
	return out
}

// phaseUtilization is the mean utilization in each phase of the schedule.
func phaseUtilization(schedule []phase, samples []sample) []float64 {
	out := make([]float64, len(schedule))
	for i := range schedule {
		end := testDuration
		if i+1 < len(schedule) {
			end = schedule[i+1].At
		}
		sum, n := 0.0, 0
		for _, s := range samples {
			if s.T.D() >= schedule[i].At && s.T.D() < end && s.Capacity > 0 {
				sum += float64(min(s.Delivered, s.Capacity)) / float64(s.Capacity)
				n++
			}
		}
		if n > 0 {
			out[i] = sum / float64(n)
		}
	}
	return out
}

func write(dir string, r *result) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	j, err := json.MarshalIndent(r, "", " ")
	if err != nil {
		return err
	}
	files := map[string][]byte{
		"results.json": j,
		"report.md":    []byte(r.markdown()),
		"plot.svg":     plotSVG("RFC 8867 §5.1 through the node: capacity, estimate, sent and delivered rate", r.Samples),
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}
