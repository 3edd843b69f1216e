package simulcast

import "testing"

func TestFrameSize(t *testing.T) {
	tests := []struct {
		w, h, want int
	}{
		{160, 90, 60},     // thumbnail
		{320, 180, 240},   // very small
		{640, 360, 920},   // small
		{1280, 720, 3600}, // medium
		{1920, 1080, 8160},
		{16, 16, 1},
		{17, 1, 2},
		{1, 1, 1},
		{0, 720, 0},
		{1280, 0, 0},
		{-16, 16, 0},
	}
	for _, tt := range tests {
		if got := FrameSize(tt.w, tt.h); got != tt.want {
			t.Errorf("FrameSize(%d, %d) = %d, want %d", tt.w, tt.h, got, tt.want)
		}
	}
}

func TestNominalBitrate(t *testing.T) {
	tests := []struct{ index, want int }{
		{-1, 150_000}, {0, 150_000}, {1, 500_000}, {2, 1_500_000}, {3, 1_500_000},
	}
	for _, tt := range tests {
		if got := NominalBitrate(tt.index); got != tt.want {
			t.Errorf("NominalBitrate(%d) = %d, want %d", tt.index, got, tt.want)
		}
	}
}
