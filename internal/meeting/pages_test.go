package meeting_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// The lobby, the meeting page and the pages' files are served; a meeting
// name the WebSocket would refuse is a 404 page.
func TestPages(t *testing.T) {
	h := start(t, nil)
	for _, c := range []struct {
		path string
		code int
		body string
	}{
		{"/", 200, "lobby"},
		{"/room/standup", 200, "room"},
		{"/room/stand%20up", 404, "meeting must be"},
		{"/app.js", 200, "export"},
		{"/missing.js", 404, ""},
		{"/healthz", 200, `"reachable":true`},
	} {
		res, err := http.Get(h.http.URL + c.path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		_ = res.Body.Close()
		if res.StatusCode != c.code || !strings.Contains(string(b), c.body) {
			t.Errorf("GET %s: %d %q, want %d containing %q", c.path, res.StatusCode, b, c.code, c.body)
		}
	}
}
