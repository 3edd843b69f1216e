package cc

import (
	"sync"
	"testing"
)

func TestSentLogPutGet(t *testing.T) {
	var l sentLog
	l.put(7, 1200, 5_000, true, 3)
	p, ok := l.get(7)
	if !ok || p.seq != 7 || p.size != 1200 || p.sendNs != 5_000 || !p.probe || p.cluster != 3 {
		t.Fatalf("got %+v %v", p, ok)
	}
	if _, ok := l.get(8); ok {
		t.Fatal("never written record found")
	}
	l.put(7+sentLogSize, 100, 9_000, false, 0)
	if _, ok := l.get(7); ok {
		t.Fatal("overwritten record still found under its old number")
	}
	if p, ok := l.get(7 + sentLogSize); !ok || p.size != 100 || p.probe {
		t.Fatalf("got %+v %v", p, ok)
	}
	l.put(9, 1<<20, 1, false, 0)
	if p, _ := l.get(9); p.size != infoSizeMask {
		t.Fatalf("oversized packet recorded as %d bytes", p.size)
	}
}

// TestSentLogConcurrent has writers race a reader on the same slots: a
// reader must never pair one packet's number with another's time (each
// writer uses sendNs = seq).
func TestSentLogConcurrent(t *testing.T) {
	var l sentLog
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				seq := uint16(i*4 + w)
				l.put(seq, int(seq%1500), int64(seq), false, 0)
			}
		}()
	}
	for range 30_000 {
		for s := range uint16(64) {
			if p, ok := l.get(s); ok && (p.sendNs != int64(s) || p.size != int(s%1500)) {
				close(stop)
				wg.Wait()
				t.Fatalf("torn record: %+v for %d", p, s)
			}
		}
	}
	close(stop)
	wg.Wait()
}
