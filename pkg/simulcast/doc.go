// Package simulcast chooses which layer of a simulcast publisher a receive
// slot forwards.
//
// A publisher sends up to [MaxSpatialLayers] spatial layers, index 0 being
// the lowest (Webex and Chrome scale them down by 4, 2 and 1). Each receive
// slot asks for [Limits]: a frame size in macroblocks, optional width and
// height caps, a frame rate and a bit rate, as a Webex mediaRequest carries
// them in its codecInfo. [Select] answers with the highest active layer that
// fits those limits and the slot's share of the subscriber's bandwidth;
// [Selector] adds hysteresis on top so a bit rate or budget hovering near a
// threshold does not flip the slot between layers (every spatial switch costs
// a keyframe). [MaxTemporalLayer] maps a frame-rate limit to a temporal
// layer, and [DefaultMaxPayload] gives the bit rate Webex clients pair with a
// pane size.
//
// The package is pure: no sockets, no goroutines, no clock. Time is passed
// in, and nothing here knows about rooms or packets; the forwarder applies
// the answer at the next keyframe of the target layer.
package simulcast
