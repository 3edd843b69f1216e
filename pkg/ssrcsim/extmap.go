package ssrcsim

import (
	"fmt"

	"github.com/pion/sdp/v3"
)

// simulcastURIs are the extensions pion's simulcast demultiplexer reads, in
// the order of the Extensions fields.
var simulcastURIs = [3]string{sdp.SDESMidURI, sdp.SDESRTPStreamIDURI, sdp.SDESRepairRTPStreamIDURI}

// Extensions are the RTP header extension IDs the Stamper writes. They are
// the same for every m-line of an SDP: pion keeps a single negotiated ID
// per extension URI for the whole connection, so per-m-line IDs could not
// all be right.
type Extensions struct {
	MID, RID, RepairedRID uint8
}

func (e Extensions) ids() [3]uint8 { return [3]uint8{e.MID, e.RID, e.RepairedRID} }

// chooseExtensions picks the ID of each simulcast extension for the whole
// SDP: the ID the SDP already uses for it (in any m-line or at session
// level), else the lowest one-byte ID (1-14) no line of the SDP uses.
func chooseExtensions(secs []section) (Extensions, error) {
	idsOf := map[string]map[int]bool{}  // uri -> ids
	urisOf := map[int]map[string]bool{} // id -> uris
	for _, sec := range secs {
		for _, l := range sec.lines {
			k, v, ok := attr(l)
			if !ok || k != "extmap" {
				continue
			}
			e, ok := parseExtmap(v)
			if !ok {
				continue
			}
			if idsOf[e.uri] == nil {
				idsOf[e.uri] = map[int]bool{}
			}
			idsOf[e.uri][e.id] = true
			if urisOf[e.id] == nil {
				urisOf[e.id] = map[string]bool{}
			}
			urisOf[e.id][e.uri] = true
		}
	}
	var out [3]uint8
	for i, uri := range simulcastURIs {
		ids := idsOf[uri]
		if len(ids) > 1 {
			return Extensions{}, fmt.Errorf("%w: %s has %d IDs", ErrExtmapConflict, uri, len(ids))
		}
		for id := range ids {
			if len(urisOf[id]) > 1 {
				return Extensions{}, fmt.Errorf("%w: ID %d is %s and another extension", ErrExtmapConflict, id, uri)
			}
			out[i] = uint8(id)
		}
		if out[i] != 0 {
			continue
		}
		for id := 1; id <= 14; id++ {
			if len(urisOf[id]) == 0 {
				out[i] = uint8(id)
				urisOf[id] = map[string]bool{uri: true}
				break
			}
		}
		if out[i] == 0 {
			return Extensions{}, fmt.Errorf("%w for %s", ErrNoFreeExtensionID, uri)
		}
	}
	return Extensions{MID: out[0], RID: out[1], RepairedRID: out[2]}, nil
}
