package simulcast

import "testing"

func TestDefaultMaxPayload(t *testing.T) {
	tests := []struct{ maxFs, want int }{
		{MaxFsThumbnail, 99_000},
		{MaxFsVerySmall, 199_000},
		{MaxFsSmall, 640_000},
		{MaxFsMedium, 2_500_000},
		{MaxFsLarge, 4_000_000},
		{576, 300_000},
		{1296, 720_000},
		{2304, 880_000},
		{8160, 4_000_000},
		{575, 199_000}, // between entries: the lower one
		{3599, 880_000},
		{59, 99_000}, // below the table: the smallest
		{1, 99_000},
		{0, 4_000_000}, // unlimited
		{-5, 4_000_000},
		{1 << 30, 4_000_000},
	}
	for _, tt := range tests {
		if got := DefaultMaxPayload(tt.maxFs); got != tt.want {
			t.Errorf("DefaultMaxPayload(%d) = %d, want %d", tt.maxFs, got, tt.want)
		}
	}
}
