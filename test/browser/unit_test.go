package browser

import (
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/switchyard-sfu/switchyard/web"
)

// TestPageUnits runs the demo page's pure modules (ROAP client state
// machine, media request builder, SDP munging) through their unit tests in
// Chromium: the browser is the page's only runtime, so that is where they
// are checked.
func TestPageUnits(t *testing.T) {
	static, err := fs.Sub(web.Static, "static")
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/", http.FileServerFS(static))
	mux.Handle("/unit/", http.StripPrefix("/unit/", http.FileServerFS(os.DirFS("testdata"))))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	browser := startBrowser(t)
	page := newPage(t, browser, srv.URL+"/unit/unit.html")
	type failure struct{ Name, Error string }
	type results struct {
		Done     bool
		Passed   int
		Failures []failure
	}
	r := waitFor(t, page, 30*time.Second, "unit tests to finish", `window.unitResults ?? {done: false}`,
		func(r results) bool { return r.Done })
	for _, f := range r.Failures {
		t.Errorf("%s: %s", f.Name, f.Error)
	}
	if r.Passed == 0 {
		t.Fatal("no unit test ran")
	}
	t.Logf("%d page unit tests passed", r.Passed)
}
