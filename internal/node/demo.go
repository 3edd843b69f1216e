package node

import (
	"context"
	"fmt"
	"time"

	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	pb "github.com/switchyard-sfu/switchyard/api/proto/switchyard/v1"
	"github.com/switchyard-sfu/switchyard/pkg/client"
)

// DemoRoom is the room the demo participants meet in.
const DemoRoom = "demo"

// demo runs synthetic participants against the node's own gRPC API, the
// way a meeting service would, so a fresh node shows a live meeting.
type demo struct {
	conn    *grpc.ClientConn
	clients []*client.Client
}

func startDemo(addr string, participants int, log *zap.Logger) (*demo, error) {
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, err
	}
	d := &demo{conn: conn}
	node := pb.NewMediaNodeClient(conn)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if _, err := node.CreateRoom(ctx, &pb.CreateRoomRequest{RoomId: DemoRoom}); err != nil {
		d.stop()
		return nil, err
	}
	for i := 1; i <= participants; i++ {
		c, err := client.Join(ctx, client.Options{
			Node: node, RoomID: DemoRoom,
			ParticipantID: fmt.Sprintf("demo-%d", i), DeviceID: "synthetic",
			DisplayName: fmt.Sprintf("Demo participant %d", i),
			Audio:       true, Video: true, LoopbackOnly: true,
			Logger: log,
		})
		if err != nil {
			d.stop()
			return nil, err
		}
		d.clients = append(d.clients, c)
	}
	log.Info("demo room running", zap.String("room", DemoRoom), zap.Int("participants", participants))
	return d, nil
}

func (d *demo) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, c := range d.clients {
		_ = c.Leave(ctx)
	}
	_ = d.conn.Close()
}
