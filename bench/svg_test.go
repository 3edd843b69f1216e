package main

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"testing"
)

// parseSVG checks that b is well-formed XML with an <svg> root and counts
// its elements by name.
func parseSVG(t *testing.T, b []byte) map[string]int {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(b))
	count := map[string]int{}
	depth := 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("invalid XML: %v\n%s", err, b)
		}
		switch e := tok.(type) {
		case xml.StartElement:
			if depth == 0 && e.Name.Local != "svg" {
				t.Fatalf("root element %q", e.Name.Local)
			}
			depth++
			count[e.Name.Local]++
			for _, a := range e.Attr {
				if strings.Contains(a.Value, "NaN") || strings.Contains(a.Value, "Inf") {
					t.Errorf("<%s %s=%q>", e.Name.Local, a.Name.Local, a.Value)
				}
			}
		case xml.EndElement:
			depth--
		}
	}
	if depth != 0 {
		t.Fatal("unbalanced elements")
	}
	return count
}

func TestPlotSVG(t *testing.T) {
	r := sampleReport()
	b := plotSVG("title with <&> characters", 2, r.Runs[0].Steps)
	n := parseSVG(t, b)
	// 4 panels: 1 + 2 + 2 + 3 series, plus the 4 axis polylines.
	if n["polyline"] != 8+4 {
		t.Errorf("%d polylines", n["polyline"])
	}
	if n["circle"] != 8*2 {
		t.Errorf("%d points", n["circle"])
	}
	if !bytes.Contains(b, []byte("title with &lt;&amp;&gt; characters")) {
		t.Error("title not escaped")
	}
}

func TestPlotSVGDegenerate(t *testing.T) {
	// No steps, and steps whose values are all zero: still valid, no NaN.
	parseSVG(t, plotSVG("empty", 2, nil))
	parseSVG(t, plotSVG("zeros", 2, []Step{{}}))
}

func TestNiceCeil(t *testing.T) {
	tests := []struct{ in, want float64 }{
		{0, 1}, {-3, 1}, {0.7, 1}, {1, 1}, {1.1, 2}, {2.2, 2.5}, {3, 5}, {7, 10}, {10, 10}, {42, 50}, {180, 200}, {0.013, 0.02},
	}
	for _, tc := range tests {
		if got := niceCeil(tc.in); got < tc.want*0.999999 || got > tc.want*1.000001 {
			t.Errorf("niceCeil(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}
