package ssrcsim

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/pion/sdp/v3"
)

func sdpOf(lines ...[]string) string {
	var all []string
	for _, l := range lines {
		all = append(all, l...)
	}
	return strings.Join(all, "\r\n") + "\r\n"
}

var (
	sessionLines = []string{
		"v=0",
		"o=- 4611731400430051336 2 IN IP4 127.0.0.1",
		"s=-",
		"t=0 0",
		"a=group:BUNDLE 0 1 2",
		"a=msid-semantic: WMS *",
	}
	audioLines = []string{
		"m=audio 9 UDP/TLS/RTP/SAVPF 111",
		"c=IN IP4 0.0.0.0",
		"a=rtcp:9 IN IP4 0.0.0.0",
		"a=ice-ufrag:wbx1",
		"a=ice-pwd:0123456789abcdefghijklmn",
		"a=setup:actpass",
		"a=mid:0",
		"a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level",
		"a=sendrecv",
		"a=rtcp-mux",
		"a=rtpmap:111 opus/48000/2",
		"a=fmtp:111 minptime=10;useinbandfec=1",
		"a=ssrc:1000 cname:wbxcname",
		"a=ssrc:1000 msid:wbxstream wbxaudio",
	}
	// webexHead is the part of the Webex video m-line that Rewrite keeps.
	webexHead = []string{
		"m=video 9 UDP/TLS/RTP/SAVPF 102 103",
		"c=IN IP4 0.0.0.0",
		"a=rtcp:9 IN IP4 0.0.0.0",
		"a=ice-ufrag:wbx1",
		"a=ice-pwd:0123456789abcdefghijklmn",
		"a=setup:actpass",
		"a=mid:1",
	}
	webexExt = []string{
		"a=extmap:2 urn:ietf:params:rtp-hdrext:toffset",
		"a=extmap:3 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
	}
	webexTail = []string{
		"a=sendrecv",
		"a=rtcp-mux",
		"a=rtcp-rsize",
		"a=rtpmap:102 H264/90000",
		"a=rtcp-fb:102 ccm fir",
		"a=rtcp-fb:102 nack",
		"a=rtcp-fb:102 nack pli",
		"a=fmtp:102 profile-level-id=42e01f;packetization-mode=1;max-mbps=244800;max-fs=8160",
		"a=rtpmap:103 rtx/90000",
		"a=fmtp:103 apt=102",
	}
	webexSSRCs = []string{
		"a=ssrc-group:SIM 2001 2002 2003",
		"a=ssrc-group:FID 2001 3001",
		"a=ssrc-group:FID 2002 3002",
		"a=ssrc-group:FID 2003 3003",
		"a=ssrc:2001 cname:wbxcname",
		"a=ssrc:2001 msid:wbxstream wbxvideo",
		"a=ssrc:2001 fmtp:* max-fs=240",
		"a=ssrc:3001 cname:wbxcname",
		"a=ssrc:3001 msid:wbxstream wbxvideo",
		"a=ssrc:2002 cname:wbxcname",
		"a=ssrc:2002 msid:wbxstream wbxvideo",
		"a=ssrc:2002 fmtp:* max-fs=2304",
		"a=ssrc:3002 cname:wbxcname",
		"a=ssrc:3002 msid:wbxstream wbxvideo",
		"a=ssrc:2003 cname:wbxcname",
		"a=ssrc:2003 msid:wbxstream wbxvideo",
		"a=ssrc:2003 fmtp:* max-fs=8160",
		"a=ssrc:3003 cname:wbxcname",
		"a=ssrc:3003 msid:wbxstream wbxvideo",
	}
	chromeLines = []string{
		"m=video 9 UDP/TLS/RTP/SAVPF 96 97",
		"c=IN IP4 0.0.0.0",
		"a=rtcp:9 IN IP4 0.0.0.0",
		"a=ice-ufrag:wbx1",
		"a=ice-pwd:0123456789abcdefghijklmn",
		"a=setup:actpass",
		"a=mid:2",
		"a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid",
		"a=extmap:10 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id",
		"a=extmap:11 urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id",
		"a=sendonly",
		"a=msid:chromestream chrometrack",
		"a=rtcp-mux",
		"a=rtpmap:96 VP8/90000",
		"a=rtpmap:97 rtx/90000",
		"a=fmtp:97 apt=96",
		"a=rid:q send",
		"a=rid:h send",
		"a=rid:f send",
		"a=simulcast:send q;h;f",
	}
)

var webexRIDs = []string{
	"a=rid:l0 send max-fs=240",
	"a=rid:l1 send max-fs=2304",
	"a=rid:l2 send max-fs=8160",
	"a=simulcast:send l0;l1;l2",
}

func webexLayers(mid string) []Layer {
	return []Layer{
		{MID: mid, RID: "l0", SSRC: 2001, RTXSSRC: 3001, MaxFs: 240},
		{MID: mid, RID: "l1", SSRC: 2002, RTXSSRC: 3002, MaxFs: 2304},
		{MID: mid, RID: "l2", SSRC: 2003, RTXSSRC: 3003, MaxFs: 8160},
	}
}

func concat(parts ...[]string) []string {
	var out []string
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func TestRewrite(t *testing.T) {
	webex := concat(webexHead, webexExt, webexTail, webexSSRCs)
	tests := []struct {
		name   string
		in     string
		want   string // "" means unchanged
		layers []Layer
		ext    Extensions
	}{
		{
			name: "webex video next to audio and a Chrome RID m-line",
			in:   sdpOf(sessionLines, audioLines, webex, chromeLines),
			want: sdpOf(sessionLines, audioLines, concat(
				webexHead, []string{"a=msid:wbxstream wbxvideo"}, webexExt,
				[]string{
					"a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid",
					"a=extmap:10 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id",
					"a=extmap:11 urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id",
				},
				webexTail, webexRIDs), chromeLines),
			layers: webexLayers("1"),
			ext:    Extensions{MID: 4, RID: 10, RepairedRID: 11},
		},
		{
			name: "webex only: lowest free IDs",
			in:   sdpOf(sessionLines, audioLines, webex),
			want: sdpOf(sessionLines, audioLines, concat(
				webexHead, []string{"a=msid:wbxstream wbxvideo"}, webexExt,
				[]string{
					"a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid",
					"a=extmap:5 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id",
					"a=extmap:6 urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id",
				},
				webexTail, webexRIDs)),
			layers: webexLayers("1"),
			ext:    Extensions{MID: 4, RID: 5, RepairedRID: 6},
		},
		{
			name: "no extmaps, no msid, no RTX, LF line ends",
			in: strings.ReplaceAll(sdpOf(sessionLines, webexHead, webexTail, []string{
				"a=ssrc-group:SIM 7 8",
				"a=ssrc:7 cname:x",
				"a=ssrc:8 cname:x",
			}), "\r\n", "\n"),
			want: strings.ReplaceAll(sdpOf(sessionLines, webexHead, []string{
				"a=msid:- ssrcsim-1",
				"a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid",
				"a=extmap:2 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id",
				"a=extmap:3 urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id",
			}, webexTail, []string{
				"a=rid:l0 send",
				"a=rid:l1 send",
				"a=simulcast:send l0;l1",
			}), "\r\n", "\n"),
			layers: []Layer{{MID: "1", RID: "l0", SSRC: 7}, {MID: "1", RID: "l1", SSRC: 8}},
			ext:    Extensions{MID: 1, RID: 2, RepairedRID: 3},
		},
		{
			name: "media-level msid kept",
			in:   sdpOf(sessionLines, webexHead, []string{"a=msid:s t"}, webexExt, webexTail, webexSSRCs),
			want: sdpOf(sessionLines, webexHead, []string{"a=msid:s t"}, webexExt, []string{
				"a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid",
				"a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id",
				"a=extmap:5 urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id",
			}, webexTail, webexRIDs),
			layers: webexLayers("1"),
			ext:    Extensions{MID: 1, RID: 4, RepairedRID: 5},
		},
		{name: "no SIM group", in: sdpOf(sessionLines, audioLines, chromeLines)},
		{name: "recvonly SIM m-line", in: sdpOf(sessionLines, webexHead, []string{"a=recvonly"}, webexSSRCs)},
		{name: "rejected SIM m-line", in: sdpOf(sessionLines, append([]string{"m=video 0 UDP/TLS/RTP/SAVPF 102"}, webexHead[1:]...), webexSSRCs)},
		{name: "already RID form", in: sdpOf(sessionLines, chromeLines, webexSSRCs[:1])},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Rewrite(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			want := tt.want
			if want == "" {
				want = tt.in
			}
			if res.SDP != want {
				t.Errorf("SDP:\n%s\nwant:\n%s", res.SDP, want)
			}
			if !reflect.DeepEqual(res.Layers, tt.layers) {
				t.Errorf("layers %+v, want %+v", res.Layers, tt.layers)
			}
			if res.Ext != tt.ext {
				t.Errorf("ext %+v, want %+v", res.Ext, tt.ext)
			}
			var parsed sdp.SessionDescription
			if err := parsed.UnmarshalString(res.SDP); err != nil {
				t.Errorf("output does not parse: %v", err)
			}
			again, err := Rewrite(res.SDP)
			if err != nil {
				t.Fatal(err)
			}
			if again.SDP != res.SDP || again.Layers != nil {
				t.Errorf("not idempotent: %d layers\n%s", len(again.Layers), again.SDP)
			}
		})
	}
}

func TestRewriteErrors(t *testing.T) {
	noMid := concat(webexHead[:len(webexHead)-1], webexTail, webexSSRCs)
	allIDs := make([]string, 0, 14)
	for id := 1; id <= 14; id++ {
		allIDs = append(allIDs, fmt.Sprintf("a=extmap:%d urn:example:%d", id, id))
	}
	tests := []struct {
		name string
		in   string
		want error
	}{
		{"not SDP", "hello\r\n", ErrMalformedSDP},
		{"empty", "", ErrMalformedSDP},
		{"SIM without mid", sdpOf(sessionLines, noMid), ErrNoMID},
		{"bad SSRC in SIM", sdpOf(sessionLines, webexHead, []string{"a=ssrc-group:SIM 1 x 3"}), ErrMalformedSDP},
		{"SSRC out of range", sdpOf(sessionLines, webexHead, []string{"a=ssrc-group:SIM 1 4294967296"}), ErrMalformedSDP},
		{"duplicate SSRC in SIM", sdpOf(sessionLines, webexHead, []string{"a=ssrc-group:SIM 1 2 1"}), ErrMalformedSDP},
		{"empty SIM", sdpOf(sessionLines, webexHead, []string{"a=ssrc-group:SIM"}), ErrMalformedSDP},
		{"two SIM groups", sdpOf(sessionLines, webexHead, []string{"a=ssrc-group:SIM 1 2", "a=ssrc-group:SIM 3 4"}), ErrMalformedSDP},
		{"FID with three SSRCs", sdpOf(sessionLines, webexHead, []string{"a=ssrc-group:SIM 1 2", "a=ssrc-group:FID 1 5 6"}), ErrMalformedSDP},
		{"bad ssrc line", sdpOf(sessionLines, webexHead, []string{"a=ssrc-group:SIM 1 2", "a=ssrc:abc cname:x"}), ErrMalformedSDP},
		{"mid extension with two IDs", sdpOf(sessionLines, webexHead, []string{
			"a=extmap:5 urn:ietf:params:rtp-hdrext:sdes:mid",
		}, webexSSRCs, chromeLines), ErrExtmapConflict},
		{"mid extension ID taken elsewhere", sdpOf(sessionLines, audioLines[:7], []string{
			"a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid",
			"a=extmap:4 urn:ietf:params:rtp-hdrext:ssrc-audio-level",
		}, webexHead, webexSSRCs), ErrExtmapConflict},
		{"no free ID", sdpOf(sessionLines, webexHead, allIDs, webexSSRCs), ErrNoFreeExtensionID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Rewrite(tt.in)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err %v, want %v", err, tt.want)
			}
			if res.SDP != "" || res.Layers != nil {
				t.Errorf("result %+v with error", res)
			}
		})
	}
}

func TestRestoreAnswer(t *testing.T) {
	res, err := Rewrite(sdpOf(sessionLines, audioLines, concat(webexHead, webexExt, webexTail, webexSSRCs), chromeLines))
	if err != nil {
		t.Fatal(err)
	}
	answerHead := []string{
		"m=video 9 UDP/TLS/RTP/SAVPF 102 103",
		"c=IN IP4 0.0.0.0",
		"a=setup:active",
		"a=mid:1",
		"a=extmap:3 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
	}
	answerTail := []string{
		"a=rtpmap:102 H264/90000",
		"a=recvonly",
	}
	chromeAnswer := []string{
		"m=video 9 UDP/TLS/RTP/SAVPF 96",
		"c=IN IP4 0.0.0.0",
		"a=mid:2",
		"a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid",
		"a=extmap:10 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id",
		"a=rid:q recv",
		"a=simulcast:recv q",
		"a=recvonly",
	}
	answer := sdpOf(sessionLines[:4], answerHead, []string{
		"a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid",
		"a=extmap:10 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id",
		"a=extmap:11 urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id",
	}, answerTail, []string{
		"a=rid:l0 recv",
		"a=rid:l1 recv",
		"a=rid:l2 recv",
		"a=simulcast:recv l0;l1;l2",
	}, chromeAnswer)
	got, err := res.RestoreAnswer(answer)
	if err != nil {
		t.Fatal(err)
	}
	if want := sdpOf(sessionLines[:4], answerHead, answerTail, chromeAnswer); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if _, err := res.RestoreAnswer("junk"); !errors.Is(err, ErrMalformedSDP) {
		t.Errorf("junk answer: %v", err)
	}
	var none Result
	if got, err := none.RestoreAnswer(answer); err != nil || got != answer {
		t.Errorf("nothing rewritten: changed answer (%v)", err)
	}
}

func TestMaxFsOf(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want int
	}{
		{"* max-fs=240", 240},
		{"* max-fps=30;max-fs=2304", 2304},
		{"102 max-mbps=244800; max-fs=8160", 8160},
		{"* max-fs=abc", 0},
		{"*", 0},
		{"", 0},
	} {
		if got := maxFsOf(tt.in); got != tt.want {
			t.Errorf("maxFsOf(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}
