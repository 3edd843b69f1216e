package main

import (
	"fmt"
	"html"
	"math"
	"strconv"
	"strings"
)

// The scaling plot: four small panels sharing the x axis (receivers),
// drawn as plain SVG polylines so the bench needs no plotting library.

type point struct{ x, y float64 }

type series struct {
	name, color string
	dashed      bool
	pts         []point
}

type panel struct {
	title string
	// ref, if > 0, is drawn as a grey horizontal line labelled refLabel.
	ref      float64
	refLabel string
	series   []series
}

const (
	svgW, svgH                 = 980, 660
	panelW, panelH             = 490, 300
	padL, padR, padT, padB     = 64, 20, 34, 44
	headerH                    = 40
	svgFont                    = `font-family="sans-serif"`
	colNode, colGen, colP50    = "#1f77b4", "#ff7f0e", "#2ca02c"
	colP99, colLoss            = "#d62728", "#d62728"
	colFrozen, colSum, colGrid = "#8c564b", "#7f7f7f", "#e5e5e5"
)

// plotSVG draws receivers against node CPU per packet, latency, loss and
// CPU use (node, generator, both against the box's cpus).
func plotSVG(title string, cpus int, steps []Step) []byte {
	xs := func(f func(Step) float64) []point {
		out := make([]point, 0, len(steps))
		for _, s := range steps {
			out = append(out, point{float64(s.Receivers), f(s)})
		}
		return out
	}
	panels := []panel{
		{title: "node vCPU-µs per forwarded packet", series: []series{
			{name: "µs/packet", color: colNode, pts: xs(func(s Step) float64 { return s.USPerPkt })},
		}},
		{title: "latency, send → receive, ms", series: []series{
			{name: "p50", color: colP50, pts: xs(func(s Step) float64 { return s.Latency.P50 })},
			{name: "p99", color: colP99, pts: xs(func(s Step) float64 { return s.Latency.P99 })},
		}},
		{title: "loss and frozen video, %", series: []series{
			{name: "loss %", color: colLoss, pts: xs(func(s Step) float64 { return s.LossPct })},
			{name: "frozen %", color: colFrozen, dashed: true, pts: xs(func(s Step) float64 { return s.FrozenPct })},
		}},
		{title: "CPU, cores", ref: float64(cpus), refLabel: fmt.Sprintf("%d CPUs", cpus), series: []series{
			{name: "node", color: colNode, pts: xs(func(s Step) float64 { return s.NodeCores })},
			{name: "generator", color: colGen, pts: xs(func(s Step) float64 { return s.GenCores })},
			{name: "whole box", color: colSum, dashed: true, pts: xs(func(s Step) float64 { return s.NodeCores + s.GenCores + s.OtherCores })},
		}},
	}
	xmax := 0.0
	for _, s := range steps {
		xmax = math.Max(xmax, float64(s.Receivers))
	}
	xmax = niceCeil(xmax)

	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>`+"\n")
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" %s font-size="12">`+"\n", svgW, svgH, svgW, svgH, svgFont)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="white"/>`+"\n", svgW, svgH)
	fmt.Fprintf(&b, `<text x="%d" y="24" font-size="16" text-anchor="middle">%s</text>`+"\n", svgW/2, esc(title))
	for i, p := range panels {
		drawPanel(&b, p, float64((i%2)*panelW), float64(headerH+(i/2)*panelH), xmax)
	}
	b.WriteString("</svg>\n")
	return []byte(b.String())
}

func drawPanel(b *strings.Builder, p panel, ox, oy, xmax float64) {
	left, top := ox+padL, oy+padT
	w, h := float64(panelW-padL-padR), float64(panelH-padT-padB)
	ymax := p.ref
	for _, s := range p.series {
		for _, pt := range s.pts {
			ymax = math.Max(ymax, pt.y)
		}
	}
	ymax = niceCeil(ymax)
	px := func(x float64) float64 { return left + x/xmax*w }
	py := func(y float64) float64 { return top + h - y/ymax*h }

	fmt.Fprintf(b, `<g>`+"\n")
	fmt.Fprintf(b, `<text x="%s" y="%s" font-size="13" font-weight="bold">%s</text>`+"\n", num(left), num(oy+padT-12), esc(p.title))
	const ticks = 5
	for i := 0; i <= ticks; i++ {
		yv := ymax * float64(i) / ticks
		y := py(yv)
		fmt.Fprintf(b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s"/>`+"\n", num(left), num(y), num(left+w), num(y), colGrid)
		fmt.Fprintf(b, `<text x="%s" y="%s" text-anchor="end">%s</text>`+"\n", num(left-6), num(y+4), label(yv))
		xv := xmax * float64(i) / ticks
		x := px(xv)
		fmt.Fprintf(b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="black"/>`+"\n", num(x), num(top+h), num(x), num(top+h+4))
		fmt.Fprintf(b, `<text x="%s" y="%s" text-anchor="middle">%s</text>`+"\n", num(x), num(top+h+17), label(xv))
	}
	fmt.Fprintf(b, `<polyline points="%s,%s %s,%s %s,%s" fill="none" stroke="black"/>`+"\n",
		num(left), num(top), num(left), num(top+h), num(left+w), num(top+h))
	fmt.Fprintf(b, `<text x="%s" y="%s" text-anchor="middle">receivers</text>`+"\n", num(left+w/2), num(top+h+34))
	if p.ref > 0 {
		y := py(p.ref)
		fmt.Fprintf(b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#999" stroke-dasharray="2,3"/>`+"\n", num(left), num(y), num(left+w), num(y))
		fmt.Fprintf(b, `<text x="%s" y="%s" text-anchor="end" fill="#666">%s</text>`+"\n", num(left+w-4), num(y+14), esc(p.refLabel))
	}
	for _, s := range p.series {
		var pts []string
		for _, pt := range s.pts {
			pts = append(pts, num(px(pt.x))+","+num(py(pt.y)))
		}
		if len(pts) > 0 {
			fmt.Fprintf(b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2"%s/>`+"\n", strings.Join(pts, " "), s.color, dashAttr(s))
		}
		for _, pt := range s.pts {
			fmt.Fprintf(b, `<circle cx="%s" cy="%s" r="3" fill="%s"/>`+"\n", num(px(pt.x)), num(py(pt.y)), s.color)
		}
	}
	// Legend on the title line, right-aligned, clear of the data.
	x := left + w
	for i := len(p.series) - 1; i >= 0; i-- {
		s := p.series[i]
		x -= legendWidth(s.name)
		ly := oy + padT - 12
		fmt.Fprintf(b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="2"%s/>`+"\n", num(x), num(ly-4), num(x+18), num(ly-4), s.color, dashAttr(s))
		fmt.Fprintf(b, `<text x="%s" y="%s">%s</text>`+"\n", num(x+22), num(ly), esc(s.name))
	}
	b.WriteString("</g>\n")
}

// legendWidth estimates the room a legend entry takes: its line, a gap
// and the text at about 7 px a character.
func legendWidth(name string) float64 { return 22 + 7*float64(len([]rune(name))) + 12 }

func dashAttr(s series) string {
	if s.dashed {
		return ` stroke-dasharray="6,4"`
	}
	return ""
}

// niceCeil rounds v up to 1, 2, 2.5 or 5 times a power of ten (1 if v is
// not positive), so axis ticks fall on round numbers.
func niceCeil(v float64) float64 {
	if v <= 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if v <= m*p*(1+1e-9) {
			return m * p
		}
	}
	return 10 * p
}

func num(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) }

func label(f float64) string { return strconv.FormatFloat(f, 'g', 4, 64) }

func esc(s string) string { return html.EscapeString(s) }
