package meeting

import (
	"encoding/json"
	"net/http"
)

// routes: the WebSocket, the lobby, the meeting page, the pages' other
// files, and a health check that says whether any node is reachable.
func (s *Service) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ws", s.handleWS)
	mux.HandleFunc("GET /healthz", s.handleHealth)
	if s.o.Static == nil {
		return mux
	}
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFileFS(w, r, s.o.Static, "index.html")
	})
	mux.HandleFunc("GET /room/{meeting}", func(w http.ResponseWriter, r *http.Request) {
		if err := validateMeeting(r.PathValue("meeting")); err != nil {
			http.Error(w, err.Error(), http.StatusNotFound)
			return
		}
		http.ServeFileFS(w, r, s.o.Static, "room.html")
	})
	mux.Handle("GET /", http.FileServerFS(s.o.Static))
	return mux
}

// nodeHealth is one node in /healthz.
type nodeHealth struct {
	Address   string `json:"address"`
	NodeID    string `json:"nodeId,omitempty"`
	Reachable bool   `json:"reachable"`
	Draining  bool   `json:"draining"`
	Rooms     uint32 `json:"rooms"`
	Conns     uint32 `json:"connections"`
	Error     string `json:"error,omitempty"`
}

// handleHealth asks every node for its state and answers 200 when some
// node accepts new meetings, else 503, with each node's state.
func (s *Service) handleHealth(w http.ResponseWriter, r *http.Request) {
	s.pool.pollAll(r.Context())
	var out []nodeHealth
	for _, n := range s.pool.nodes {
		n.mu.Lock()
		h := nodeHealth{Address: n.addr, Reachable: n.reachable, Draining: n.drainingEvent || n.info.GetDraining(),
			NodeID: n.info.GetNodeId(), Rooms: n.info.GetRooms(), Conns: n.info.GetConnections()}
		if n.lastErr != nil {
			h.Error = n.lastErr.Error()
		}
		n.mu.Unlock()
		out = append(out, h)
	}
	code := http.StatusServiceUnavailable
	if len(s.pool.ranked()) > 0 {
		code = http.StatusOK
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]any{"nodes": out})
}
