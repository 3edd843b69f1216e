package ssrcsim

import (
	"bytes"
	"testing"

	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
)

// FuzzRewrite: any input either fails with an error or yields an SDP that
// parses, rewrites to itself, and whose layers the Stamper accepts.
func FuzzRewrite(f *testing.F) {
	webex := concat(webexHead, webexExt, webexTail, webexSSRCs)
	f.Add(sdpOf(sessionLines, audioLines, webex, chromeLines))
	f.Add(sdpOf(sessionLines, webexHead, []string{"a=ssrc-group:SIM 7 8", "a=ssrc-group:FID 7 9"}))
	f.Add(sdpOf(sessionLines, chromeLines))
	f.Add("v=0\n")
	f.Fuzz(func(t *testing.T, in string) {
		res, err := Rewrite(in)
		if err != nil {
			return
		}
		var parsed sdp.SessionDescription
		if err := parsed.UnmarshalString(res.SDP); err != nil {
			t.Fatalf("output does not parse: %v\n%q", err, res.SDP)
		}
		again, err := Rewrite(res.SDP)
		if err != nil || again.SDP != res.SDP || again.Layers != nil {
			t.Fatalf("not idempotent (%v)", err)
		}
		if len(res.Layers) == 0 {
			if res.SDP != in {
				t.Fatal("changed an SDP without layers")
			}
			return
		}
		// Set can still refuse, e.g. a SIM SSRC that is also another's RTX;
		// it must not panic.
		_ = NewStamper().Set(res.Layers, res.Ext)
	})
}

// FuzzStamp: stamp never panics or reads past n, never grows past len(b),
// leaves what it does not stamp untouched, and what it stamps parses with
// the elements and the original payload.
func FuzzStamp(f *testing.F) {
	f.Add(packet(f, 1, nil), 16)
	f.Add(packet(f, 1, func(p *rtp.Packet) { _ = p.SetExtension(2, []byte{1, 2, 3}) }), 4)
	f.Add(packet(f, 1, func(p *rtp.Packet) {
		p.Extension, p.ExtensionProfile = true, rtp.ExtensionProfileTwoByte
		_ = p.SetExtension(20, []byte{1})
	}), 8)
	e := newElements(4, 10, "1", "l2")
	f.Fuzz(func(t *testing.T, raw []byte, room int) {
		if room < 0 || room > 64 {
			return
		}
		b := make([]byte, len(raw)+room)
		copy(b, raw)
		n, out := stamp(b, len(raw), &e)
		if n > len(b) {
			t.Fatalf("length %d past the buffer %d", n, len(b))
		}
		if out != stamped {
			if n != len(raw) || !bytes.Equal(b[:n], raw) {
				t.Fatal("changed a packet it did not stamp")
			}
			return
		}
		var before, after rtp.Packet
		if err := after.Unmarshal(b[:n]); err != nil {
			t.Fatalf("stamped packet does not parse: %v", err)
		}
		if string(after.GetExtension(4)) != "1" || string(after.GetExtension(10)) != "l2" {
			t.Fatalf("elements missing: %v", after.Extensions)
		}
		if before.Unmarshal(raw) == nil && !bytes.Equal(before.Payload, after.Payload) {
			t.Fatal("payload changed")
		}
	})
}
