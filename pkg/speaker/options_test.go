package speaker

import (
	"math"
	"testing"
	"time"
)

func TestNewConfig(t *testing.T) {
	tests := []struct {
		name string
		o    Options
		want config
	}{
		{"defaults", Options{}, config{width: 50 * ms, need: 20, silence: 70, louderBy: 6, firstSpan: 2, maxSpan: 4}},
		{"custom", Options{SwitchAfter: 500 * ms, Window: 3 * sec, SilenceLevel: 90, LouderBy: 3, Interval: 20 * ms},
			config{width: 100 * ms, need: 5, silence: 90, louderBy: 3, firstSpan: 1, maxSpan: 2}},
		{"SwitchAfter capped at Window", Options{SwitchAfter: 5 * sec}, config{width: 50 * ms, need: 30, silence: 70, louderBy: 6, firstSpan: 2, maxSpan: 4}},
		{"SwitchAfter rounds up", Options{SwitchAfter: 1001 * ms}, config{width: 50 * ms, need: 21, silence: 70, louderBy: 6, firstSpan: 2, maxSpan: 4}},
		{"tiny Window", Options{Window: time.Nanosecond, SwitchAfter: time.Nanosecond}, config{width: ms, need: 1, silence: 70, louderBy: 6, firstSpan: 30, maxSpan: 30}},
		{"huge values", Options{Window: math.MaxInt64, Interval: math.MaxInt64, SwitchAfter: math.MaxInt64, SilenceLevel: 1000, LouderBy: math.Inf(1)},
			config{width: math.MaxInt64 / 30, need: 30, silence: 128, louderBy: 6, firstSpan: 30, maxSpan: 30}},
		{"negative and NaN", Options{Window: -1, Interval: -1, SwitchAfter: -1, SilenceLevel: -1, LouderBy: math.NaN()},
			config{width: 50 * ms, need: 20, silence: 70, louderBy: 6, firstSpan: 2, maxSpan: 4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := newConfig(tt.o); got != tt.want {
				t.Errorf("newConfig(%+v) = %+v, want %+v", tt.o, got, tt.want)
			}
		})
	}
}

func TestEnergy(t *testing.T) {
	c := newConfig(Options{})
	tests := []struct {
		level, voiced float64
		want          float32
	}{
		{127, 1, 0},
		{70, 1, 0},
		{69, 1, 1},
		{10, 1, 60},
		{10, 0, 30},
		{10, 0.5, 45},
		{0, 1, 70},
		{-20, 1, 70},
		{10, 7, 60},
		{10, -1, 30},
		{10, math.NaN(), 30},
		{math.NaN(), 1, 0},
		{math.Inf(1), 1, 0},
		{math.Inf(-1), 1, 70},
	}
	for _, tt := range tests {
		if got := c.energy(tt.level, tt.voiced); got != tt.want {
			t.Errorf("energy(%v, %v) = %v, want %v", tt.level, tt.voiced, got, tt.want)
		}
	}
}
