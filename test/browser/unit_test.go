package browser

import (
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/switchyard-sfu/switchyard/web"
)

// TestPageUnits runs the demo page's pure modules (ROAP client state
// machine, media request builder, SDP munging) through their unit tests in
// Chromium: the browser is the page's only runtime, so that is where they
// are checked.
func TestPageUnits(t *testing.T) {
	checkLeaks(t)
	srv := staticServer(t)
	browser := startBrowser(t)
	page := newPage(t, browser, "unit", srv.URL+"/unit/unit.html")
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

// TestLobby: the lobby refuses a bad meeting name and sends a good one to
// /room/NAME?name=X.
func TestLobby(t *testing.T) {
	checkLeaks(t)
	srv := staticServer(t)
	browser := startBrowser(t)
	page := newPage(t, browser, "lobby", srv.URL+"/")
	err := chromedp.Do(page,
		chromedp.SetValue(chromedp.ID("meeting"), "bad name!"),
		chromedp.SetValue(chromedp.ID("name"), "Ada Lovelace"),
		chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	if valid := mustEval[bool](t, page, `document.getElementById('meeting').validity.valid`); valid {
		t.Error("the lobby accepted the meeting name \"bad name!\"")
	}
	if path := mustEval[string](t, page, `location.pathname`); path != "/" {
		t.Fatalf("the lobby navigated to %s with a bad meeting name", path)
	}
	err = chromedp.Do(page,
		chromedp.SetValue(chromedp.ID("meeting"), "stand-up_1"),
		chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, page, 30*time.Second, "the meeting page URL", `location.pathname + location.search`,
		func(u string) bool { return u == "/room/stand-up_1?name=Ada%20Lovelace" })
}

// staticServer serves the demo pages as meetingd does (files by path) and
// the unit test page under /unit/.
func staticServer(t *testing.T) *httptest.Server {
	t.Helper()
	static, err := fs.Sub(web.Static, "static")
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/", http.FileServerFS(static))
	mux.Handle("/unit/", http.StripPrefix("/unit/", http.FileServerFS(os.DirFS("testdata"))))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}
