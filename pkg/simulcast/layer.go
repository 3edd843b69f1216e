package simulcast

import "fmt"

// MaxSpatialLayers is the number of spatial layers a publisher may send.
const MaxSpatialLayers = 3

// nominalBitrates are typical rates of the three layers as clients send them,
// used when a layer's rate has not been measured yet.
var nominalBitrates = [MaxSpatialLayers]int{150_000, 500_000, 1_500_000}

// Layer describes one spatial layer of a publisher as the forwarder sees it.
type Layer struct {
	// Index is the spatial layer, 0 being the lowest.
	Index int
	// Width and Height are the layer's resolution in pixels, 0 if unknown.
	Width, Height int
	// Bitrate is the measured rate in bits/s, 0 if unknown (then
	// [NominalBitrate] stands in).
	Bitrate int
	// Active reports that packets of the layer arrived recently.
	Active bool
}

// Limits are what a receive slot asks for. Zero (or a negative value) in any
// field means no limit.
type Limits struct {
	// MaxFs is the largest frame in 16x16 macroblocks (H.264 max-fs).
	MaxFs int
	// MaxWidth and MaxHeight cap the resolution in pixels.
	MaxWidth, MaxHeight int
	// MaxFps is the frame rate in 1/100 fps as Webex sends it (3000 = 30
	// fps). It does not affect the spatial choice; see [MaxTemporalLayer].
	MaxFps int
	// MaxBitrate is the slot's maxPayloadBitsPerSecond in bits/s.
	MaxBitrate int
}

// limitsResolution reports whether l caps the resolution at all.
func (l Limits) limitsResolution() bool { return l.MaxFs > 0 || l.MaxWidth > 0 || l.MaxHeight > 0 }

// FrameSize returns the size of a width x height frame in 16x16
// macroblocks, counting partial macroblocks as whole ones. Non-positive
// dimensions give 0.
func FrameSize(width, height int) int {
	if width <= 0 || height <= 0 {
		return 0
	}
	return ((width + 15) / 16) * ((height + 15) / 16)
}

// NominalBitrate returns the typical bit rate of spatial layer index
// (150 kbit/s, 500 kbit/s, 1.5 Mbit/s), clamping index to the valid range.
func NominalBitrate(index int) int {
	return nominalBitrates[max(0, min(index, MaxSpatialLayers-1))]
}

// bitrate is the layer's measured rate, or the nominal one if unmeasured.
func (l *Layer) bitrate() int {
	if l.Bitrate > 0 {
		return l.Bitrate
	}
	return NominalBitrate(l.Index)
}

// layerSet indexes a caller's layers by spatial index without copying them.
type layerSet [MaxSpatialLayers]*Layer

// newLayerSet validates layers and indexes them. It does not allocate unless
// it fails.
func newLayerSet(layers []Layer) (layerSet, error) {
	var s layerSet
	for i := range layers {
		l := &layers[i]
		if l.Index < 0 || l.Index >= MaxSpatialLayers {
			return s, fmt.Errorf("%w: index %d out of range [0,%d)", ErrInvalidLayer, l.Index, MaxSpatialLayers)
		}
		if s[l.Index] != nil {
			return s, fmt.Errorf("%w: index %d appears twice", ErrInvalidLayer, l.Index)
		}
		s[l.Index] = l
	}
	return s, nil
}

// sized reports whether some layer's resolution is known.
func (s *layerSet) sized() bool {
	_, _, ok := s.dims(0)
	return ok
}

// active reports whether layer i is present and active.
func (s *layerSet) active(i int) bool {
	return i >= 0 && i < MaxSpatialLayers && s[i] != nil && s[i].Active
}

// dims returns the resolution of layer i: its own if known, else derived
// from the highest layer with a known resolution by a factor of 2 per index
// step. ok is false when no layer has a known resolution.
func (s *layerSet) dims(i int) (w, h int, ok bool) {
	if l := s[i]; l != nil && l.Width > 0 && l.Height > 0 {
		return l.Width, l.Height, true
	}
	for top := MaxSpatialLayers - 1; top >= 0; top-- {
		l := s[top]
		if l == nil || l.Width <= 0 || l.Height <= 0 {
			continue
		}
		w, h = l.Width, l.Height
		if i < top {
			return w >> (top - i), h >> (top - i), true
		}
		return w << (i - top), h << (i - top), true
	}
	return 0, 0, false
}

// fitsResolution reports whether layer i fits the resolution limits. While
// no layer's resolution is known (no keyframe seen yet), only a slot without
// resolution limits takes every layer to fit; a limited one (a thumbnail,
// say) is held to the lowest layer, so that no higher layer is asked for a
// keyframe it may not need. [Selector] re-selects at once when the sizes
// become known.
func (s *layerSet) fitsResolution(i int, lim Limits) bool {
	w, h, ok := s.dims(i)
	if !ok {
		return !lim.limitsResolution()
	}
	if lim.MaxFs > 0 && FrameSize(w, h) > lim.MaxFs {
		return false
	}
	if lim.MaxWidth > 0 && w > lim.MaxWidth {
		return false
	}
	return lim.MaxHeight <= 0 || h <= lim.MaxHeight
}
