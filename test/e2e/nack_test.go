package e2e

import (
	"sync"
	"testing"

	"github.com/switchyard-sfu/switchyard/pkg/client"
)

// Acceptance 4: loss on the path to one subscriber is repaired by NACK
// retransmissions from the node's packet cache.
func TestNACKRecoversLoss(t *testing.T) {
	h := startNode(t)
	h.createRoom("loss")
	pub := h.join("loss", "pub", "d", client.Options{Audio: true, Video: true, VideoBitrate: 800_000})

	type key struct {
		ssrc uint32
		seq  uint16
	}
	var mu sync.Mutex
	dropped := map[key]bool{}
	var repairs int
	lossy := h.join("loss", "lossy", "d", client.Options{Drop: func(ssrc uint32, seq uint16) bool {
		mu.Lock()
		defer mu.Unlock()
		k := key{ssrc, seq}
		switch {
		case seq%10 != 3:
			return false
		case dropped[k]:
			repairs++
			return false // every 10th packet is lost once; its repair gets through
		}
		dropped[k] = true
		return true
	}})
	clean := h.join("loss", "clean", "d", client.Options{})

	video := func(c *client.Client) client.TrackStats {
		for _, tr := range tracksFrom(c, pub) {
			if tr.Kind == "video" {
				return tr
			}
		}
		return client.TrackStats{}
	}
	repairCount := func() int {
		mu.Lock()
		defer mu.Unlock()
		return repairs
	}
	// Counted by repairs, not by drops: the drops include the padding of
	// the node's bandwidth probes, which is nothing to repair.
	h.eventually("30 losses on the way to the lossy subscriber repaired", func() bool { return repairCount() >= 30 }, lossy)
	// Every loss older than the newest few packets must have been repaired.
	h.eventually("losses repaired", func() bool { return video(lossy).Missing <= 3 }, lossy)

	st := video(lossy)
	n := repairCount()
	if st.OutOfOrder < uint64(n)/2 {
		t.Errorf("%d packets repaired but only %d arrived late as repairs", n, st.OutOfOrder)
	}
	if st.Duplicates != 0 || st.WrongSource != 0 {
		t.Errorf("lossy track: %+v", st)
	}
	if r := h.node.Rooms().Stats().Totals.Retransmits; r < uint64(n)/2 {
		t.Errorf("node retransmitted %d packets for %d repairs", r, n)
	}
	if c := video(clean); c.Missing != 0 || c.RTPGaps != 0 || c.OutOfOrder != 0 {
		t.Errorf("clean subscriber disturbed by the other's loss: %+v", c)
	}
}
