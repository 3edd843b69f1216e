package simulcast

// maxTemporalLayers bounds the shift in MaxTemporalLayer; codecs use at most
// 8 temporal layers (AV1), VP8 and VP9 at most 4.
const maxTemporalLayers = 8

// MaxTemporalLayer returns the highest temporal layer id (TID) whose frame
// rate is at most maxFps, given in 1/100 fps as Webex sends it.
//
// layerFps is the full frame rate of the spatial layer in fps, reached with
// all temporalLayers layers; each layer below halves it (VP8 with 3 temporal
// layers at 30 fps: TID0 7.5, TID1 15, TID2 30 fps). The base layer TID0 is
// always forwarded, so the answer is at least 0. It returns -1, meaning
// "forward all", when maxFps is 0 (no limit) or when layerFps or
// temporalLayers is unknown (<= 0).
func MaxTemporalLayer(maxFps int, layerFps int, temporalLayers int) int {
	if maxFps <= 0 || layerFps <= 0 || temporalLayers <= 0 {
		return -1
	}
	n := min(temporalLayers, maxTemporalLayers)
	// TID t runs at layerFps / 2^(n-1-t) fps; compare in 1/100 fps
	// without fractions: layerFps*100 <= maxFps * 2^(n-1-t).
	full := int64(layerFps) * 100
	for t := n - 1; t > 0; t-- {
		if full <= int64(maxFps)<<(n-1-t) {
			return t
		}
	}
	return 0
}
