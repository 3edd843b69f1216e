// Package server implements the MediaNode gRPC service on top of
// room.Manager: it translates protobuf messages to room calls, validates
// input and maps errors to gRPC status codes. It makes no media decisions.
package server
