package leakcheck

import (
	"runtime"
	"strings"
	"testing"
	"time"
)

// recorder is a testing.TB that records failures instead of failing.
type recorder struct {
	testing.TB
	failed string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.failed = format
}

// A goroutine that ends passes; one that stays is reported.
func TestCheck(t *testing.T) {
	baseline := runtime.NumGoroutine()
	done := make(chan struct{})
	go func() { <-done }()
	close(done)
	r := &recorder{TB: t}
	Check(r, baseline)
	if r.failed != "" {
		t.Fatalf("ended goroutine reported: %s", r.failed)
	}
	// Several stay, so that a goroutine of an earlier run still winding
	// down cannot hide them.
	baseline = runtime.NumGoroutine()
	stay := make(chan struct{})
	defer close(stay)
	for i := 0; i < 5; i++ {
		go func() { <-stay }()
	}
	r = &recorder{TB: t}
	CheckWithin(r, baseline, 200*time.Millisecond)
	if !strings.Contains(r.failed, "goroutine leak") {
		t.Fatal("lingering goroutine not reported")
	}
}
