package client

import "encoding/binary"

// Synthetic H.264 for the simulated sources (RFC 6184, packetization-mode=1,
// constrained baseline). The parameter sets and slice headers are valid, so
// SPS parsers, keyframe detectors and depacketizers see a real stream; the
// macroblock data is filler, so a decoder cannot reconstruct pictures.
const (
	h264NALTypeSlice = 1
	h264NALTypeIDR   = 5
	h264NALTypeSPS   = 7
	h264NALTypePPS   = 8
	h264NALTypeSTAPA = 24
	h264NALTypeFUA   = 28

	h264ProfileBaseline = 66
	// h264Constraints: constraint_set0..2 (42e0xx, as browsers offer).
	h264Constraints = 0xe0

	h264NRIHigh = 3 << 5 // nal_ref_idc of parameter sets and IDR slices
	h264NRIRef  = 2 << 5 // nal_ref_idc of reference P slices

	// h264SliceHeaderMax bounds an encoded slice header (first_mb_in_slice
	// of a 4K picture included).
	h264SliceHeaderMax = 8
	// h264MaxFrameNumLog2 is log2_max_frame_num (the SPS codes it minus 4).
	h264MaxFrameNumLog2 = 4
)

// h264PPSBytes is the one PPS: ids 0, CAVLC, one slice group, one reference,
// QP 26, deblocking control present.
var h264PPSBytes = [...]byte{0x60 | h264NALTypePPS, 0xce, 0x3c, 0x80}

// h264Bits writes an RBSP MSB first into a fixed buffer; bits past its end
// are dropped (no caller comes close: an SPS for 65536x65536 needs 26 bytes).
type h264Bits struct {
	b [64]byte
	n int // bits written
}

func (w *h264Bits) u(bits int, v uint32) {
	for i := bits - 1; i >= 0; i-- {
		if w.n/8 < len(w.b) && v>>uint(i)&1 == 1 {
			w.b[w.n/8] |= 0x80 >> uint(w.n%8)
		}
		w.n++
	}
}

// ue writes an unsigned exp-Golomb code: as many zeros as v+1 has bits after
// its leading one, then v+1.
func (w *h264Bits) ue(v uint32) {
	x := uint64(v) + 1
	bits := 0
	for x>>uint(bits) > 1 {
		bits++
	}
	w.u(bits, 0)
	w.u(bits+1, uint32(x))
}

// se writes a signed exp-Golomb code.
func (w *h264Bits) se(v int32) {
	if v > 0 {
		w.ue(uint32(2*v - 1))
	} else {
		w.ue(uint32(-2 * v))
	}
}

// trailing writes rbsp_trailing_bits: a one, then zeros to a byte boundary.
func (w *h264Bits) trailing() {
	w.u(1, 1)
	for w.n%8 != 0 {
		w.u(1, 0)
	}
}

func (w *h264Bits) bytes() []byte { return w.b[:min((w.n+7)/8, len(w.b))] }

// h264AppendEscaped appends a NAL unit header and its RBSP with emulation
// prevention: a 0x03 after every two zero bytes that precede a byte <= 3.
func h264AppendEscaped(dst []byte, header byte, rbsp []byte) []byte {
	dst = append(dst, header)
	zeros := 0
	for _, c := range rbsp {
		if zeros >= 2 && c <= 3 {
			dst = append(dst, 3)
			zeros = 0
		}
		dst = append(dst, c)
		if c == 0 {
			zeros++
		} else {
			zeros = 0
		}
	}
	return dst
}

// h264MBs is a dimension in 16-pixel macroblocks, rounded up.
func h264MBs(pixels int) int { return (max(pixels, 2) + 15) / 16 }

// h264Level picks the lowest common level whose maximum frame size (in
// macroblocks, H.264 table A-1) holds the picture.
func h264Level(mbs int) uint32 {
	switch {
	case mbs <= 1620:
		return 30
	case mbs <= 3600:
		return 31
	case mbs <= 5120:
		return 32
	case mbs <= 8192:
		return 40
	case mbs <= 22080:
		return 50
	default:
		return 51
	}
}

// h264AppendSPS appends the SPS of h264SPS to dst.
func h264AppendSPS(dst []byte, width, height int) []byte {
	width, height = max(width&^1, 2), max(height&^1, 2)
	wMBs, hMBs := h264MBs(width), h264MBs(height)
	var w h264Bits
	w.u(8, h264ProfileBaseline)
	w.u(8, h264Constraints)
	w.u(8, h264Level(wMBs*hMBs))
	w.ue(0)                       // seq_parameter_set_id
	w.ue(h264MaxFrameNumLog2 - 4) // log2_max_frame_num_minus4
	w.ue(2)                       // pic_order_cnt_type: output order = decoding order
	w.ue(1)                       // max_num_ref_frames
	w.u(1, 0)                     // gaps_in_frame_num_value_allowed_flag
	w.ue(uint32(wMBs - 1))        // pic_width_in_mbs_minus1
	w.ue(uint32(hMBs - 1))        // pic_height_in_map_units_minus1
	w.u(1, 1)                     // frame_mbs_only_flag
	w.u(1, 1)                     // direct_8x8_inference_flag
	// Crop offsets count 2-pixel units (4:2:0, frame coding).
	cropR, cropB := (16*wMBs-width)/2, (16*hMBs-height)/2
	if cropR == 0 && cropB == 0 {
		w.u(1, 0) // frame_cropping_flag
	} else {
		w.u(1, 1)
		w.ue(0) // frame_crop_left_offset
		w.ue(uint32(cropR))
		w.ue(0) // frame_crop_top_offset
		w.ue(uint32(cropB))
	}
	w.u(1, 0) // vui_parameters_present_flag
	w.trailing()
	return h264AppendEscaped(dst, h264NRIHigh|h264NALTypeSPS, w.bytes())
}

// h264SPS returns a constrained-baseline SPS NAL unit (header byte included,
// emulation prevention applied) for a width x height picture. Dimensions
// that are not multiples of 16 are coded as whole macroblocks with a
// frame-cropping rectangle, so an SPS parser reads back exactly width x
// height; odd dimensions are rounded down to even (4:2:0 crops in 2-pixel
// units).
func h264SPS(width, height int) []byte { return h264AppendSPS(nil, width, height) }

// h264PPS returns the PPS NAL unit that goes with h264SPS.
func h264PPS() []byte { return append([]byte(nil), h264PPSBytes[:]...) }

// h264SliceHeader encodes the start of a slice (H.264 7.3.3) for the SPS and
// PPS above; the slice data that follows is filler.
func h264SliceHeader(w *h264Bits, idr bool, firstMB int) {
	w.ue(uint32(firstMB))
	if idr {
		w.ue(7) // slice_type: I, and so are all slices of the picture
	} else {
		w.ue(5) // P, all slices
	}
	w.ue(0)                     // pic_parameter_set_id
	w.u(h264MaxFrameNumLog2, 0) // frame_num (not tracked: the stream is not decodable anyway)
	if idr {
		w.ue(0)   // idr_pic_id
		w.u(1, 0) // no_output_of_prior_pics_flag
		w.u(1, 0) // long_term_reference_flag
	} else {
		w.u(1, 0) // num_ref_idx_active_override_flag
		w.u(1, 0) // ref_pic_list_modification_flag_l0
		w.u(1, 0) // adaptive_ref_pic_marking_mode_flag
	}
	w.se(0) // slice_qp_delta
	w.ue(0) // disable_deblocking_filter_idc
	w.se(0) // slice_alpha_c0_offset_div2
	w.se(0) // slice_beta_offset_div2
	for w.n%8 != 0 {
		w.u(1, 1) // first bits of the (filler) macroblock layer
	}
}

// h264FillSlice writes bytes [off, off+len(dst)) of a slice NAL unit body:
// the header, then filler that is never zero, so no start code can appear.
func h264FillSlice(dst, hdr []byte, off int) {
	for i := range dst {
		if p := off + i; p < len(hdr) {
			dst[i] = hdr[p]
		} else {
			dst[i] = 0x80 | byte(p*29)
		}
	}
}

// h264Frame packetizes one synthetic frame (packetization-mode=1). frameBytes
// is the size of the coded picture: the slice NAL units, headers included.
//
// A delta frame is one non-IDR slice (type 1): a single NAL unit packet, or
// FU-A fragments of near-equal size when it exceeds maxPayload. A keyframe
// starts with a STAP-A holding the SPS, the PPS and an IDR slice (type 5):
// the whole picture when it fits, else a minimal first slice, and the rest
// of the picture follows as a second IDR slice (single or FU-A). The STAP-A
// carries a slice so that the tail of every payload is slice data.
//
// emit gets each RTP payload in order, last=true on the frame's final one;
// the payload lives in buf (or in a new buffer if buf is shorter than
// maxPayload) and is reused after emit returns. Every payload is at least
// reserveTail+8 bytes and its last reserveTail bytes are slice data the
// caller may overwrite (with its Marker) without breaking the packetization
// or a slice header. maxPayload is raised to what that needs (about
// 2*reserveTail+30 bytes); frameBytes likewise.
func h264Frame(buf []byte, key bool, width, height, frameBytes, maxPayload, reserveTail int, emit func(payload []byte, last bool)) {
	reserveTail = max(reserveTail, 0)
	sliceMin := 1 + h264SliceHeaderMax + reserveTail // smallest slice NAL unit
	var sps [48]byte
	spsNAL := h264AppendSPS(sps[:0], width, height)
	stapFixed := 1 + 2 + len(spsNAL) + 2 + len(h264PPSBytes) + 2 // STAP-A bytes before its slice
	// FU-A fragments are at least half of maxPayload-2 bytes, which must
	// hold a slice header and the tail.
	maxPayload = max(maxPayload, stapFixed+sliceMin, 2*(h264SliceHeaderMax+reserveTail+8)+3)
	if len(buf) < maxPayload {
		buf = make([]byte, maxPayload)
	}
	frameBytes = max(frameBytes, sliceMin)
	wMBs, hMBs := h264MBs(width), h264MBs(height)

	if !key {
		var hdr h264Bits
		h264SliceHeader(&hdr, false, 0)
		h264EmitSlice(buf, h264NRIRef|h264NALTypeSlice, hdr.bytes(), frameBytes, maxPayload, true, emit)
		return
	}
	first := frameBytes
	if stapFixed+frameBytes > maxPayload {
		first = sliceMin
	}
	p := buf[:1]
	p[0] = h264NRIHigh | h264NALTypeSTAPA
	p = binary.BigEndian.AppendUint16(p, uint16(len(spsNAL)))
	p = append(p, spsNAL...)
	p = binary.BigEndian.AppendUint16(p, uint16(len(h264PPSBytes)))
	p = append(p, h264PPSBytes[:]...)
	p = binary.BigEndian.AppendUint16(p, uint16(first))
	p = append(p, h264NRIHigh|h264NALTypeIDR)
	var hdr h264Bits
	h264SliceHeader(&hdr, true, 0)
	p = p[:len(p)+first-1]
	h264FillSlice(p[len(p)-(first-1):], hdr.bytes(), 0)
	rest := frameBytes - first
	emit(p, rest == 0)
	if rest == 0 {
		return
	}
	hdr = h264Bits{}
	h264SliceHeader(&hdr, true, min(1, wMBs*hMBs-1)) // the first slice covers macroblock 0
	h264EmitSlice(buf, h264NRIHigh|h264NALTypeIDR, hdr.bytes(), max(rest, sliceMin), maxPayload, true, emit)
}

// h264EmitSlice emits one slice NAL unit of n bytes (its header byte
// included) as a single NAL unit packet, or as FU-A fragments when it does
// not fit maxPayload.
func h264EmitSlice(buf []byte, nalHeader byte, hdr []byte, n, maxPayload int, last bool, emit func([]byte, bool)) {
	if n <= maxPayload {
		p := buf[:n]
		p[0] = nalHeader
		h264FillSlice(p[1:], hdr, 0)
		emit(p, last)
		return
	}
	body := n - 1
	frags := (body + maxPayload - 3) / (maxPayload - 2)
	for i, off := 0, 0; i < frags; i++ {
		size := body / frags
		if i < body%frags {
			size++
		}
		p := buf[:2+size]
		p[0] = nalHeader&0xe0 | h264NALTypeFUA // FU indicator: F and NRI of the NAL unit
		p[1] = nalHeader & 0x1f                // FU header: S, E, type
		if i == 0 {
			p[1] |= 0x80
		}
		if i == frags-1 {
			p[1] |= 0x40
		}
		h264FillSlice(p[2:], hdr, off)
		off += size
		emit(p, last && i == frags-1)
	}
}
