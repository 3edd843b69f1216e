package main

import (
	"fmt"
	"html"
	"strings"
	"time"
)

// line is one plotted series: y values in bit/s per sample.
type line struct {
	name, color string
	dashed      bool
	y           func(s sample) int
}

// Plot geometry.
const (
	plotW, plotH             = 900.0, 380.0
	marginL, marginR         = 60.0, 20.0
	marginTop, marginBottom  = 40.0, 70.0
	plotMaxMbps, plotStepMbp = 3.0, 0.5
)

// plotSVG draws capacity, estimate, offered and delivered rate over time
// as a self-contained SVG.
func plotSVG(title string, samples []sample) []byte {
	lines := []line{
		{name: "capacity", color: "#222222", y: func(s sample) int { return s.Capacity }},
		{name: "ideal layer fit", color: "#9467bd", dashed: true, y: func(s sample) int { return s.IdealFit }},
		{name: "estimate", color: "#1f77b4", y: func(s sample) int { return s.Estimate }},
		{name: "sent to receiver", color: "#ff7f0e", y: func(s sample) int { return s.Offered }},
		{name: "delivered", color: "#2ca02c", dashed: true, y: func(s sample) int { return s.Delivered }},
	}
	w, h := plotW-marginL-marginR, plotH-marginTop-marginBottom
	x := func(t time.Duration) float64 { return marginL + w*t.Seconds()/testDuration.Seconds() }
	y := func(bps int) float64 { return marginTop + h*(1-min(float64(bps)/1e6, plotMaxMbps)/plotMaxMbps) }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" font-family="sans-serif" font-size="12">`+"\n", plotW, plotH)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/><text x="%.0f" y="22" font-size="14">%s</text>`+"\n", marginL, html.EscapeString(title))
	for v := 0.0; v <= plotMaxMbps+1e-9; v += plotStepMbp {
		yy := y(int(v * 1e6))
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#ddd"/><text x="%.1f" y="%.1f" text-anchor="end">%.1f</text>`+"\n",
			marginL, yy, marginL+w, yy, marginL-6, yy+4, v)
	}
	for t := time.Duration(0); t <= testDuration; t += 10 * time.Second {
		xx := x(t)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#eee"/><text x="%.1f" y="%.1f" text-anchor="middle">%d</text>`+"\n",
			xx, marginTop, xx, marginTop+h, xx, marginTop+h+16, int(t.Seconds()))
	}
	fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle">time (s)</text>`+"\n", marginL+w/2, marginTop+h+34)
	fmt.Fprintf(&b, `<text x="16" y="%.1f" transform="rotate(-90 16 %.1f)" text-anchor="middle">Mbit/s</text>`+"\n", marginTop+h/2, marginTop+h/2)
	for i, l := range lines {
		var pts strings.Builder
		for _, s := range samples {
			fmt.Fprintf(&pts, "%.1f,%.1f ", x(s.T.D()), y(l.y(s)))
		}
		dash := ""
		if l.dashed {
			dash = ` stroke-dasharray="5,3"`
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="1.5"%s points="%s"/>`+"\n", l.color, dash, strings.TrimSpace(pts.String()))
		lx := marginL + float64(i)*165
		ly := plotH - 14
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="2"%s/><text x="%.1f" y="%.1f">%s</text>`+"\n",
			lx, ly-4, lx+20, ly-4, l.color, dash, lx+26, ly, html.EscapeString(l.name))
	}
	b.WriteString("</svg>\n")
	return []byte(b.String())
}
