package forwarder

import (
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
)

const (
	// resendSuppression is how long a sequence number is not re-sent again
	// after a retransmission: subscribers repeat NACKs until the packet
	// arrives, and a burst of identical NACKs should cost one send.
	resendSuppression = 100 * time.Millisecond
	// sentTableSize is the number of recent retransmissions remembered (a
	// power of two).
	sentTableSize = 256
	// maxRTCPErrors is how many consecutive read errors RunRTCP tolerates
	// before giving up, for errors that do not mean the source is closed (pion
	// reports unparseable RTCP as a read error).
	maxRTCPErrors = 16
)

// nackState is the retransmission half of a DownTrack, owned by its RTCP
// goroutine. Its buffers are separate from the forwarding ones so that
// retransmitting never races with forwarding.
type nackState struct {
	buf        [slotSize]byte     // cached packet, copied out of the Receiver's cache
	rtx        [slotSize + 2]byte // RTX payload
	pkt        packet
	hdr        rtp.Header
	ext        [maxOutExtensions]rtp.Extension
	audioLevel [1]byte
	rtxSeq     uint16 // sequence number of the next RTX packet
	sent       [sentTableSize]sentEntry
	pts        ptCache
}

type sentEntry struct {
	at   time.Time
	seq  uint16
	used bool
}

func (n *nackState) init() { n.rtxSeq = uint16(rand.Uint32()) }

// recentlySent reports whether seq was re-sent less than resendSuppression ago.
func (n *nackState) recentlySent(seq uint16, now time.Time) bool {
	e := &n.sent[seq&(sentTableSize-1)]
	return e.used && e.seq == seq && now.Sub(e.at) < resendSuppression
}

func (n *nackState) markSent(seq uint16, now time.Time) {
	n.sent[seq&(sentTableSize-1)] = sentEntry{at: now, seq: seq, used: true}
}

// RunRTCP reads the subscriber's RTCP for d until src fails, and returns the
// error: NACKs are answered from the Receiver's cache, PLI and FIR become a
// throttled keyframe request upstream, everything else is left to pion's
// interceptors. Isolated read errors (pion reports unparseable RTCP that way)
// are skipped; io.EOF, io.ErrClosedPipe, net.ErrClosed or a run of errors end
// the loop. *webrtc.RTPSender satisfies src. One goroutine per DownTrack runs
// it.
func (d *DownTrack) RunRTCP(src interface {
	ReadRTCP() ([]rtcp.Packet, interceptor.Attributes, error)
}) error {
	errs := 0
	for {
		pkts, _, err := src.ReadRTCP()
		if err != nil {
			errs++
			if errs >= maxRTCPErrors || errors.Is(err, io.EOF) ||
				errors.Is(err, io.ErrClosedPipe) || errors.Is(err, net.ErrClosed) {
				return err
			}
			continue
		}
		errs = 0
		d.handleRTCP(pkts)
	}
}

// handleRTCP acts on one compound RTCP packet. RTCP goroutine only.
func (d *DownTrack) handleRTCP(pkts []rtcp.Packet) {
	if d.closed.Load() {
		return
	}
	b := d.bound.Load()
	if b == nil {
		return
	}
	for _, pkt := range pkts {
		switch p := pkt.(type) {
		case *rtcp.TransportLayerNack:
			if p.MediaSSRC == b.ssrc {
				d.handleNACK(b, p)
			}
		case *rtcp.PictureLossIndication:
			if p.MediaSSRC == b.ssrc {
				d.keyframeRequested()
			}
		case *rtcp.FullIntraRequest:
			if firNames(p, b.ssrc) {
				d.keyframeRequested()
			}
		}
	}
}

// keyframeRequested passes a subscriber's PLI or FIR on to the source whose
// keyframe the subscriber will get next: the pending one during a switch.
func (d *DownTrack) keyframeRequested() {
	d.stats.plis.Add(1)
	if src := d.keyframeSource(); src != nil {
		src.RequestKeyframe()
	}
}

// firNames reports whether a FIR asks ssrc for a keyframe.
func firNames(p *rtcp.FullIntraRequest, ssrc uint32) bool {
	if p.MediaSSRC == ssrc {
		return true
	}
	for _, e := range p.FIR {
		if e.SSRC == ssrc {
			return true
		}
	}
	return false
}

// handleNACK re-sends every sequence number a generic NACK lists.
func (d *DownTrack) handleNACK(b *binding, p *rtcp.TransportLayerNack) {
	now := d.now()
	for _, pair := range p.Nacks {
		d.retransmit(b, pair.PacketID, now)
		for i := range 16 {
			if pair.LostPackets&(1<<i) != 0 {
				d.retransmit(b, pair.PacketID+uint16(i)+1, now)
			}
		}
	}
}

// retransmit re-sends the packet the subscriber knows as outSeq, from the
// cache of the source that sent it (which may be a source the DownTrack
// switched away from): as RTX when negotiated, else as a plain copy on the
// primary SSRC. A VP8 packet gets the descriptor it was forwarded with; a
// packet whose frame was dropped is answered with padding. RTCP goroutine
// only.
func (d *DownTrack) retransmit(b *binding, outSeq uint16, now time.Time) {
	d.stats.nacks.Add(1)
	ns := &d.nak
	if ns.recentlySent(outSeq, now) {
		return
	}
	seg, inSeq, ok := d.munger.segs.lookup(outSeq, b.epoch)
	if !ok || seg.src == nil {
		d.stats.nackMisses.Add(1)
		return
	}
	src := seg.src
	n, ok := src.cache.Get(inSeq, ns.buf[:])
	if !ok || ns.pkt.unmarshal(ns.buf[:n], src.opts.AudioLevelExtensionID) != nil {
		d.stats.nackMisses.Add(1)
		return
	}
	pt, rtxPT, ok := ns.pts.lookup(d, b, src)
	if !ok {
		d.stats.nackMisses.Add(1)
		return
	}
	h := &ns.hdr
	setHeader(h, ns.ext[:0], &ns.audioLevel, b, &ns.pkt, pt)
	payload := ns.pkt.payload
	if src.codecKind == codecVP8 {
		desc := &ns.pkt.vp8
		desc.parse(payload)
		if desc.ok && desc.hasPic {
			e, found := d.frames.find(seg.stint, desc.pic, ns.pkt.timestamp)
			switch {
			case !found:
				d.stats.nackMisses.Add(1)
				return
			case e.fwd:
				desc.patch(payload, e.numbers()) // payload is our copy
			default:
				setPaddingHeader(h, ns.ext[:0], b, pt, fillPaddingSize)
				payload = nil
			}
		}
	}
	h.SequenceNumber = outSeq
	h.Timestamp = ns.pkt.timestamp + seg.tsOffset
	rtx := b.rtxSSRC != 0 && rtxPT != 0
	if rtx {
		payload = rtxPayload(ns.rtx[:], outSeq, payload)
		h.SSRC, h.PayloadType = b.rtxSSRC, rtxPT
		h.Padding, h.PaddingSize = false, 0
	}
	if l := d.retransmits; l != nil && !l.AllowRetransmit(h.MarshalSize()+len(payload)) {
		d.stats.retransmitsDenied.Add(1)
		return // not marked sent: the subscriber's next NACK may get it
	}
	if rtx {
		h.SequenceNumber = ns.rtxSeq
		ns.rtxSeq++
	}
	if _, err := b.writer.WriteRTP(h, payload); err != nil {
		d.stats.writeErrors.Add(1)
		return
	}
	ns.markSent(outSeq, now)
	d.stats.retransmits.Add(1)
}
