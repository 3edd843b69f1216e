package bwe

import "time"

// Inter-arrival grouping constants from draft-ietf-rmcat-gcc-02 §5.2 and
// libwebrtc's InterArrivalDelta.
const (
	groupLength      = int64(5 * time.Millisecond)   // send-time span of a group
	burstDelta       = int64(5 * time.Millisecond)   // arrival gap inside a burst
	maxBurstDuration = int64(100 * time.Millisecond) // a burst never spans more
	clockJump        = int64(3 * time.Second)        // receiver clock jumped: reset
	maxReordered     = 3                             // consecutive reordered groups: reset
)

// packetGroup is a set of packets sent within groupLength of each other
// (or arriving as one burst); the pacer's bursts and a frame's packets
// form one group, so that their spread does not read as delay change.
type packetGroup struct {
	firstSendNs int64
	lastSendNs  int64
	firstArrNs  int64
	lastArrNs   int64
	sysNs       int64 // sender clock when the group's last packet was reported
	size        int64
	started     bool
}

// interArrival turns packets (in arrival order) into deltas between
// consecutive completed groups.
type interArrival struct {
	cur, prev packetGroup
	reordered int
	resets    int // times the grouping restarted; the trendline follows
}

// delta is the change between two consecutive groups.
type delta struct {
	sendNs int64 // send-time delta
	arrNs  int64 // arrival-time delta
	arrAt  int64 // arrival time of the completed group's last packet
}

// push adds a packet and returns the delta between the two groups before
// it when the packet starts a new group and both of them are complete.
func (ia *interArrival) push(sendNs, arrNs, sysNs int64, size int) (d delta, ok bool) {
	c := &ia.cur
	switch {
	case !c.started:
		*c = packetGroup{firstSendNs: sendNs, lastSendNs: sendNs, firstArrNs: arrNs, started: true}
	case sendNs < c.firstSendNs:
		return delta{}, false // out of order in send time: ignore
	case ia.newGroup(sendNs, arrNs):
		if ia.prev.started {
			d = delta{
				sendNs: c.lastSendNs - ia.prev.lastSendNs,
				arrNs:  c.lastArrNs - ia.prev.lastArrNs,
				arrAt:  c.lastArrNs,
			}
			sys := c.sysNs - ia.prev.sysNs
			switch {
			case d.arrNs-sys >= clockJump:
				ia.reset()
				return delta{}, false
			case d.arrNs < 0:
				ia.reordered++
				if ia.reordered >= maxReordered {
					ia.reset()
				}
				return delta{}, false
			}
			ia.reordered = 0
			ok = true
		}
		ia.prev = *c
		*c = packetGroup{firstSendNs: sendNs, lastSendNs: sendNs, firstArrNs: arrNs, started: true}
	default:
		c.lastSendNs = max(c.lastSendNs, sendNs)
	}
	c.size += int64(size)
	c.lastArrNs = arrNs
	c.sysNs = sysNs
	return d, ok
}

// newGroup reports whether a packet starts a new group.
func (ia *interArrival) newGroup(sendNs, arrNs int64) bool {
	if ia.inBurst(sendNs, arrNs) {
		return false
	}
	return sendNs-ia.cur.firstSendNs > groupLength
}

// inBurst reports whether a packet arrived back to back with the current
// group although it was sent later: the network queued them together.
func (ia *interArrival) inBurst(sendNs, arrNs int64) bool {
	c := &ia.cur
	arrDelta := arrNs - c.lastArrNs
	sendDelta := sendNs - c.lastSendNs
	if sendDelta == 0 {
		return true
	}
	return arrDelta-sendDelta < 0 && arrDelta <= burstDelta && arrNs-c.firstArrNs < maxBurstDuration
}

func (ia *interArrival) reset() { *ia = interArrival{resets: ia.resets + 1} }
