package server

import (
	"context"
	"errors"
	"runtime"
	"time"

	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/reflection"
	"google.golang.org/grpc/status"

	pb "github.com/switchyard-sfu/switchyard/api/proto/switchyard/v1"
	"github.com/switchyard-sfu/switchyard/pkg/roap"
	"github.com/switchyard-sfu/switchyard/pkg/roap/roappb"
	"github.com/switchyard-sfu/switchyard/pkg/room"
)

// MaxMessageSize bounds every gRPC request; SDP is further bounded by
// roap.MaxSDPSize.
const MaxMessageSize = 256 << 10

// Options configure the service.
type Options struct {
	NodeID  string
	Version string
	Logger  *zap.Logger
}

// Service implements pb.MediaNodeServer.
type Service struct {
	pb.UnimplementedMediaNodeServer
	m      *room.Manager
	o      Options
	log    *zap.Logger
	load   *loadSampler
	health *health.Server
}

// New returns the service for m.
func New(m *room.Manager, o Options) *Service {
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	return &Service{m: m, o: o, log: o.Logger, load: newLoadSampler(), health: health.NewServer()}
}

// Register installs the MediaNode service, the standard health service and
// server reflection on g.
func (s *Service) Register(g *grpc.Server) {
	pb.RegisterMediaNodeServer(g, s)
	healthpb.RegisterHealthServer(g, s.health)
	s.health.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
	s.health.SetServingStatus(pb.MediaNode_ServiceDesc.ServiceName, healthpb.HealthCheckResponse_SERVING)
	reflection.Register(g)
}

// ServerOptions are the grpc.ServerOptions the node needs (message limits).
func ServerOptions() []grpc.ServerOption {
	return []grpc.ServerOption{grpc.MaxRecvMsgSize(MaxMessageSize)}
}

// toStatus maps room errors to gRPC status codes.
func toStatus(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := status.FromError(err); ok && status.Code(err) != codes.Unknown {
		return err
	}
	var code codes.Code
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return status.FromContextError(err).Err()
	case errors.Is(err, room.ErrInvalidArgument), errors.Is(err, room.ErrNegotiation), errors.Is(err, roap.ErrInvalidMessage):
		code = codes.InvalidArgument
	case errors.Is(err, room.ErrRoomNotFound), errors.Is(err, room.ErrConnectionNotFound),
		errors.Is(err, room.ErrParticipantNotFound), errors.Is(err, room.ErrClosed):
		code = codes.NotFound
	case errors.Is(err, room.ErrRoomExists):
		code = codes.AlreadyExists
	case errors.Is(err, room.ErrRoomFull), errors.Is(err, room.ErrLimit):
		code = codes.ResourceExhausted
	case errors.Is(err, room.ErrDraining):
		code = codes.Unavailable
	case errors.Is(err, room.ErrHistoryGone):
		code = codes.OutOfRange
	default:
		code = codes.Internal
	}
	return status.Error(code, err.Error())
}

// withRoapError attaches the ROAP ERROR to relay to the client as a status
// detail.
func withRoapError(err error, reply *roap.Message) error {
	st := status.Convert(toStatus(err))
	if reply == nil {
		return st.Err()
	}
	if d, derr := st.WithDetails(roappb.ToPB(*reply)); derr == nil {
		return d.Err()
	}
	return st.Err()
}

// CreateRoom implements pb.MediaNodeServer.
func (s *Service) CreateRoom(_ context.Context, req *pb.CreateRoomRequest) (*pb.CreateRoomResponse, error) {
	sum, created, err := s.m.CreateRoom(req.GetRoomId(), room.RoomOptions{MaxParticipants: int(req.GetOptions().GetMaxParticipants())})
	if err != nil {
		return nil, toStatus(err)
	}
	return &pb.CreateRoomResponse{Room: summaryToPB(sum), Created: created}, nil
}

// CloseRoom implements pb.MediaNodeServer.
func (s *Service) CloseRoom(ctx context.Context, req *pb.CloseRoomRequest) (*pb.CloseRoomResponse, error) {
	if err := s.m.CloseRoom(ctx, req.GetRoomId(), req.GetReason()); err != nil {
		return nil, toStatus(err)
	}
	return &pb.CloseRoomResponse{}, nil
}

// ListRooms implements pb.MediaNodeServer.
func (s *Service) ListRooms(ctx context.Context, _ *pb.ListRoomsRequest) (*pb.ListRoomsResponse, error) {
	rooms, err := s.m.ListRooms(ctx)
	if err != nil {
		return nil, toStatus(err)
	}
	out := &pb.ListRoomsResponse{}
	for _, r := range rooms {
		out.Rooms = append(out.Rooms, summaryToPB(r))
	}
	return out, nil
}

// GetRoom implements pb.MediaNodeServer.
func (s *Service) GetRoom(ctx context.Context, req *pb.GetRoomRequest) (*pb.GetRoomResponse, error) {
	r, err := s.m.Room(req.GetRoomId())
	if err != nil {
		return nil, toStatus(err)
	}
	sum, parts, err := r.Detail(ctx)
	if err != nil {
		return nil, toStatus(err)
	}
	out := &pb.GetRoomResponse{Room: summaryToPB(sum)}
	for _, p := range parts {
		out.Participants = append(out.Participants, participantToPB(p))
	}
	return out, nil
}

// Join implements pb.MediaNodeServer.
func (s *Service) Join(ctx context.Context, req *pb.JoinRequest) (*pb.JoinResponse, error) {
	offer, err := RoapFromPB(req.GetOffer())
	if err != nil {
		return nil, toStatus(err)
	}
	mode, err := modeFromPB(req.GetSubscribeMode())
	if err != nil {
		return nil, toStatus(err)
	}
	res, err := s.m.Join(ctx, room.JoinParams{
		Mode:          mode,
		RoomID:        req.GetRoomId(),
		ParticipantID: req.GetParticipantId(),
		DeviceID:      req.GetDeviceId(),
		DisplayName:   req.GetDisplayName(),
		Offer:         offer,
	})
	if err != nil {
		if errors.Is(err, room.ErrNegotiation) {
			reply := roap.Message{Type: roap.Error, Seq: offer.Seq, ErrorType: roap.ErrorFailed, ErrorCause: err.Error()}
			return nil, withRoapError(err, &reply)
		}
		return nil, toStatus(err)
	}
	return &pb.JoinResponse{ConnectionId: res.ConnectionID, Answer: roappb.ToPB(res.Answer), EventSeq: res.EventSeq}, nil
}

// Roap implements pb.MediaNodeServer.
func (s *Service) Roap(ctx context.Context, req *pb.RoapRequest) (*pb.RoapResponse, error) {
	msg, err := RoapFromPB(req.GetMessage())
	if err != nil {
		return nil, toStatus(err)
	}
	reply, err := s.m.Roap(ctx, req.GetConnectionId(), msg)
	if err != nil {
		return nil, withRoapError(err, reply)
	}
	out := &pb.RoapResponse{}
	if reply != nil {
		out.Reply = roappb.ToPB(*reply)
	}
	return out, nil
}

// Leave implements pb.MediaNodeServer.
func (s *Service) Leave(ctx context.Context, req *pb.LeaveRequest) (*pb.LeaveResponse, error) {
	if err := s.m.Leave(ctx, req.GetConnectionId()); err != nil {
		return nil, toStatus(err)
	}
	return &pb.LeaveResponse{}, nil
}

// RemoveParticipant implements pb.MediaNodeServer.
func (s *Service) RemoveParticipant(ctx context.Context, req *pb.RemoveParticipantRequest) (*pb.RemoveParticipantResponse, error) {
	n, err := s.m.RemoveParticipant(ctx, req.GetRoomId(), req.GetParticipantId(), req.GetReason())
	if err != nil {
		return nil, toStatus(err)
	}
	return &pb.RemoveParticipantResponse{Connections: uint32(n)}, nil
}

// Events implements pb.MediaNodeServer.
func (s *Service) Events(req *pb.EventsRequest, stream grpc.ServerStreamingServer[pb.Event]) error {
	sub, err := s.m.Subscribe(req.GetRoomId(), req.GetAfterSeq())
	if err != nil {
		return toStatus(err)
	}
	defer sub.Close()
	// Headers go out once the subscription is registered: a caller that must not
	// miss what it does next (close the room, join someone) waits on Header().
	if err := stream.SendHeader(metadata.MD{}); err != nil {
		return err
	}
	ctx := stream.Context()
	for {
		select {
		case ev, ok := <-sub.Events():
			if !ok {
				if err := sub.Err(); err != nil {
					return status.Errorf(codes.Aborted, "%v: reconnect with after_seq set to the last event received", err)
				}
				return nil
			}
			if err := stream.Send(EventToPB(*ev, s.o.NodeID)); err != nil {
				return err
			}
		case <-ctx.Done():
			return status.FromContextError(ctx.Err()).Err()
		}
	}
}

// GetNodeInfo implements pb.MediaNodeServer.
func (s *Service) GetNodeInfo(_ context.Context, _ *pb.GetNodeInfoRequest) (*pb.NodeInfo, error) {
	st := s.m.Stats()
	l := s.load.sample(st.Totals)
	return &pb.NodeInfo{
		NodeId:              s.o.NodeID,
		Version:             s.o.Version,
		Draining:            s.m.Draining(),
		Rooms:               uint32(st.Rooms),
		Connections:         uint32(st.Connections),
		PublishedTracks:     uint32(st.PublishedTracks),
		ForwardedTracks:     uint32(st.ForwardedTracks),
		PacketsInPerSecond:  l.packetsIn,
		PacketsOutPerSecond: l.packetsOut,
		BytesInPerSecond:    l.bytesIn,
		BytesOutPerSecond:   l.bytesOut,
		CpuCores:            l.cpuCores,
		CpuCount:            uint32(runtime.NumCPU()),
		Goroutines:          uint32(runtime.NumGoroutine()),
	}, nil
}

// Drain implements pb.MediaNodeServer.
func (s *Service) Drain(_ context.Context, _ *pb.DrainRequest) (*pb.DrainResponse, error) {
	s.m.Drain(time.Time{})
	s.log.Info("draining: refusing new rooms")
	return &pb.DrainResponse{Draining: true, Rooms: uint32(s.m.RoomCount())}, nil
}
