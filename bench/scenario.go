package main

import (
	"fmt"

	"github.com/pion/webrtc/v4"

	pb "github.com/switchyard-sfu/switchyard/api/proto/switchyard/v1"
	"github.com/switchyard-sfu/switchyard/pkg/client"
)

// Audio levels in -dBov as publishers stamp them (0 loudest, 127 silence).
const (
	levelLoud  = 10
	levelQuiet = 50
)

// pubSpec is one publisher of a scenario.
type pubSpec struct {
	opts  client.Options
	level int
}

// scenario says who publishes, what each receiver opens and asks for, and
// how many of its tracks must carry media for it to count as ready.
type scenario struct {
	name, description string
	publishers        []pubSpec
	receiver          client.Options
	// request builds a receiver's media request; pubs are the joined
	// publishers in publishers' order.
	request func(rx *client.Client, pubs []*client.Client) *pb.MediaRequest
	expect  int
}

// Publishers join in slots mode with slots they never fill: they send only,
// so every forwarded packet the node counts goes to a measured receiver.
func publisherOpts(audio, video bool, fps int) client.Options {
	o := client.Options{Audio: audio, Video: video, AudioSlots: 1, VideoFPS: fps}
	if video {
		o.Simulcast = client.DefaultSimulcast
	}
	return o
}

// Frame-size limits in 16×16 macroblocks: 1280×720 is 3600, 320×180 is 240.
var (
	limitLarge     = &pb.MediaLimits{MaxFs: 8192}
	limitThumbnail = &pb.MediaLimits{MaxFs: 240}
)

// webinar: one publisher (audio + 3-layer simulcast, about 2.15 Mbit/s),
// every receiver pins its top layer and its audio in two slots. Pins rather
// than active speaker so the layer and source never change.
func webinar(fps int) scenario {
	return scenario{
		name:        "webinar",
		description: "1 publisher (Opus 50 pkt/s + VP8 simulcast 150k/500k/1.5M at 30 fps); each receiver pins the top layer (max_fs 8192) and the audio in 2 slots",
		publishers:  []pubSpec{{opts: publisherOpts(true, true, fps), level: levelLoud}},
		receiver:    client.Options{AudioSlots: 1, VideoSlots: 1},
		request: func(rx *client.Client, pubs []*client.Client) *pb.MediaRequest {
			a, v := pubs[0].SourceIDs()
			return &pb.MediaRequest{Seq: 1, Requests: []*pb.MediaRequestEntry{
				client.Pinned(v, limitLarge, rx.SlotMids(webrtc.RTPCodecTypeVideo)...),
				client.Pinned(a, nil, rx.SlotMids(webrtc.RTPCodecTypeAudio)...),
			}}
		},
		expect: 2,
	}
}

// meeting: P publishers (audio + simulcast), one of them loud; every
// receiver has a main slot (active speaker, max_fs 8192), four thumbnails
// (max_fs 240, the lowest layer) and three audio slots (the loudest).
func meeting(publishers, fps int) scenario {
	s := scenario{
		name: "meeting",
		description: fmt.Sprintf("%d publishers (audio + VP8 simulcast 150k/500k/1.5M at 30 fps, one loud); each receiver: 1 main (active speaker, max_fs 8192) + 4 thumbnails (max_fs 240) + 3 audio slots (loudest)",
			publishers),
		receiver: client.Options{AudioSlots: 3, VideoSlots: 5},
		request: func(rx *client.Client, _ []*client.Client) *pb.MediaRequest {
			video := rx.SlotMids(webrtc.RTPCodecTypeVideo)
			return &pb.MediaRequest{Seq: 1, Requests: []*pb.MediaRequestEntry{
				client.ActiveSpeaker(255, limitLarge, video[0]),
				client.ActiveSpeaker(100, limitThumbnail, video[1:]...),
				client.ActiveSpeaker(255, nil, rx.SlotMids(webrtc.RTPCodecTypeAudio)...),
			}}
		},
		expect: min(publishers, 5) + min(publishers, 3),
	}
	for i := range publishers {
		level := levelQuiet + 5*i
		if i == 0 {
			level = levelLoud
		}
		s.publishers = append(s.publishers, pubSpec{opts: publisherOpts(true, true, fps), level: level})
	}
	return s
}

// audioOnly: ten audio publishers at different levels, every receiver has
// three audio slots filled with the loudest.
func audioOnly() scenario {
	s := scenario{
		name:        "audio",
		description: "10 audio publishers (Opus 50 pkt/s, levels 10..82 -dBov); each receiver has 3 audio slots (loudest)",
		receiver:    client.Options{AudioSlots: 3},
		request: func(rx *client.Client, _ []*client.Client) *pb.MediaRequest {
			return &pb.MediaRequest{Seq: 1, Requests: []*pb.MediaRequestEntry{
				client.ActiveSpeaker(255, nil, rx.SlotMids(webrtc.RTPCodecTypeAudio)...),
			}}
		},
		expect: 3,
	}
	for i := range 10 {
		s.publishers = append(s.publishers, pubSpec{opts: publisherOpts(true, false, 0), level: levelLoud + 8*i})
	}
	return s
}

// scenarioByName returns a ramp scenario.
func scenarioByName(name string, o options) (scenario, error) {
	switch name {
	case "webinar":
		return webinar(o.fps), nil
	case "meeting":
		return meeting(o.publishers, o.fps), nil
	case "audio":
		return audioOnly(), nil
	}
	return scenario{}, fmt.Errorf("unknown scenario %q (webinar, meeting, audio, join-storm)", name)
}
