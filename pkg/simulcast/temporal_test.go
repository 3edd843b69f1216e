package simulcast

import "testing"

func TestMaxTemporalLayer(t *testing.T) {
	tests := []struct {
		name                    string
		maxFps, layerFps, count int
		want                    int
	}{
		{"no limit", 0, 30, 3, -1},
		{"30 fps asks all", 3000, 30, 3, 2},
		{"above full rate", 6000, 30, 3, 2},
		{"just below full", 2999, 30, 3, 1},
		{"15 fps", 1500, 30, 3, 1},
		{"7.5 fps", 750, 30, 3, 0},
		{"10 fps", 1000, 30, 3, 0},
		{"below base still gets base", 100, 30, 3, 0},
		{"two layers 15 fps", 1500, 30, 2, 0},
		{"two layers 30 fps", 3000, 30, 2, 1},
		{"one layer", 750, 30, 1, 0},
		{"unknown layer rate", 1500, 0, 3, -1},
		{"unknown layer count", 1500, 30, 0, -1},
		{"negative limit", -1, 30, 3, -1},
		{"many layers clamp", 3000, 30, 40, 7},
		{"huge limit", 1 << 40, 30, 4, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MaxTemporalLayer(tt.maxFps, tt.layerFps, tt.count); got != tt.want {
				t.Errorf("MaxTemporalLayer(%d, %d, %d) = %d, want %d", tt.maxFps, tt.layerFps, tt.count, got, tt.want)
			}
		})
	}
}
