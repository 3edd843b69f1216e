package simulcast

// Pane sizes as maxFs (macroblocks) that Webex clients request, and the
// defaults of an H.264 codecInfo.
const (
	MaxFsThumbnail = 60
	MaxFsVerySmall = 240
	MaxFsSmall     = 920
	MaxFsMedium    = 3600
	MaxFsLarge     = 8192

	DefaultMaxFs  = MaxFsLarge
	DefaultMaxFps = 3000 // 30 fps in 1/100 fps

	// AudioMaxPayload is the maxPayloadBitsPerSecond clients ask for audio.
	AudioMaxPayload = 64_000
)

// payloadTable maps maxFs to the maxPayloadBitsPerSecond Webex clients pair
// with it, sorted by maxFs.
var payloadTable = [...]struct{ maxFs, bps int }{
	{60, 99_000},
	{240, 199_000},
	{576, 300_000},
	{920, 640_000},
	{1296, 720_000},
	{2304, 880_000},
	{3600, 2_500_000},
	{8160, 4_000_000},
}

// DefaultMaxPayload returns the maxPayloadBitsPerSecond Webex clients use
// for a slot of maxFs macroblocks: the entry for the largest table maxFs <=
// maxFs. Sizes below the smallest entry get the smallest rate; maxFs <= 0
// (unlimited) gets the largest.
func DefaultMaxPayload(maxFs int) int {
	if maxFs <= 0 {
		return payloadTable[len(payloadTable)-1].bps
	}
	bps := payloadTable[0].bps
	for _, e := range payloadTable {
		if e.maxFs > maxFs {
			break
		}
		bps = e.bps
	}
	return bps
}
