package meeting_test

import (
	"context"
	"fmt"
	"testing"

	pb "github.com/switchyard-sfu/switchyard/api/proto/switchyard/v1"
	"github.com/switchyard-sfu/switchyard/pkg/client"
)

// BenchmarkJoinLeaveThroughService measures one browser's whole visit
// through the meeting service and a node: WebSocket, join (placement
// lookup, Join with ICE gathering), transport connected, leave. The
// meeting already exists, as for every browser but the first.
func BenchmarkJoinLeaveThroughService(b *testing.B) {
	h := start(b, nil)
	h.join("bench", "host", client.Options{Audio: true, AudioSlots: 1})
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		v := h.join("bench", fmt.Sprintf("visitor-%d", i), client.Options{AudioSlots: 1})
		ctx, cancel := context.WithTimeout(h.ctx, testTimeout)
		if _, err := v.node.Leave(ctx, &pb.LeaveRequest{}); err != nil {
			b.Fatal(err)
		}
		cancel()
		v.c.Close()
		v.conn.Close()
	}
}
