package forwarder

import "encoding/binary"

// rbspReader reads bits from a NAL unit body, dropping the emulation
// prevention bytes (00 00 03) on the fly so nothing is copied.
type rbspReader struct {
	b     []byte
	pos   int   // next byte
	cur   byte  // byte being read
	left  uint8 // bits left in cur
	zeros int   // consecutive zero bytes read
	err   bool  // ran out of data
}

func (r *rbspReader) bit() uint32 {
	if r.left == 0 {
		if r.pos < len(r.b) && r.zeros >= 2 && r.b[r.pos] == 3 {
			r.pos++
			r.zeros = 0
		}
		if r.pos >= len(r.b) {
			r.err = true
			return 0
		}
		r.cur = r.b[r.pos]
		r.pos++
		if r.cur == 0 {
			r.zeros++
		} else {
			r.zeros = 0
		}
		r.left = 8
	}
	r.left--
	return uint32(r.cur>>r.left) & 1
}

func (r *rbspReader) bits(n int) uint32 {
	var v uint32
	for range n {
		v = v<<1 | r.bit()
	}
	return v
}

// ue reads an unsigned exp-Golomb code; codes longer than 31 bits are errors.
func (r *rbspReader) ue() uint32 {
	zeros := 0
	for r.bit() == 0 {
		if r.err || zeros == 31 {
			r.err = true
			return 0
		}
		zeros++
	}
	return (1<<zeros - 1) + r.bits(zeros)
}

// se reads a signed exp-Golomb code.
func (r *rbspReader) se() int32 {
	v := r.ue()
	if v&1 != 0 {
		return int32((v + 1) / 2)
	}
	return -int32(v / 2)
}

// skipScalingList skips one scaling_list() of size coefficients (H.264 7.3.2.1.1.1).
func (r *rbspReader) skipScalingList(size int) {
	last, next := int32(8), int32(8)
	for j := 0; j < size && !r.err; j++ {
		if next != 0 {
			next = (last + r.se() + 256) % 256
		}
		if next != 0 {
			last = next
		}
	}
}

// h264SPSDimensions decodes the picture size from an SPS NAL unit body (the
// bytes after the one-byte NAL header): pic_width_in_mbs_minus1,
// pic_height_in_map_units_minus1, frame_mbs_only_flag and the frame cropping
// rectangle (H.264 7.3.2.1.1, 7.4.2.1.1). It does not allocate.
func h264SPSDimensions(body []byte) (w, h int, ok bool) {
	if len(body) < 4 {
		return 0, 0, false
	}
	profile := body[0]
	r := rbspReader{b: body[3:]} // after profile_idc, constraint flags, level_idc
	r.ue()                       // seq_parameter_set_id
	chromaFormat, separatePlanes := uint32(1), false
	switch profile {
	case 100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135:
		chromaFormat = r.ue()
		if chromaFormat > 3 {
			return 0, 0, false
		}
		if chromaFormat == 3 {
			separatePlanes = r.bit() == 1
		}
		r.ue()            // bit_depth_luma_minus8
		r.ue()            // bit_depth_chroma_minus8
		r.bit()           // qpprime_y_zero_transform_bypass_flag
		if r.bit() == 1 { // seq_scaling_matrix_present_flag
			lists := 8
			if chromaFormat == 3 {
				lists = 12
			}
			for i := 0; i < lists && !r.err; i++ {
				if r.bit() == 1 {
					size := 16
					if i >= 6 {
						size = 64
					}
					r.skipScalingList(size)
				}
			}
		}
	}
	r.ue()          // log2_max_frame_num_minus4
	switch r.ue() { // pic_order_cnt_type
	case 0:
		r.ue() // log2_max_pic_order_cnt_lsb_minus4
	case 1:
		r.bit() // delta_pic_order_always_zero_flag
		r.se()  // offset_for_non_ref_pic
		r.se()  // offset_for_top_to_bottom_field
		n := r.ue()
		if n > 255 {
			return 0, 0, false
		}
		for i := uint32(0); i < n && !r.err; i++ {
			r.se() // offset_for_ref_frame
		}
	}
	r.ue()  // max_num_ref_frames
	r.bit() // gaps_in_frame_num_value_allowed_flag
	widthMBs := r.ue() + 1
	heightMapUnits := r.ue() + 1
	frameMBsOnly := r.bit()
	if frameMBsOnly == 0 {
		r.bit() // mb_adaptive_frame_field_flag
	}
	r.bit() // direct_8x8_inference_flag
	var cropL, cropR, cropT, cropB uint32
	if r.bit() == 1 {
		cropL, cropR, cropT, cropB = r.ue(), r.ue(), r.ue(), r.ue()
	}
	if r.err || widthMBs > 1024 || heightMapUnits > 1024 {
		return 0, 0, false
	}
	// Crop units (Table 6-1 and equations 7-19..7-22).
	unitX, unitY := uint32(1), 2-frameMBsOnly
	if !separatePlanes && chromaFormat != 0 {
		subW, subH := uint32(2), uint32(2)
		if chromaFormat == 2 {
			subH = 1
		} else if chromaFormat == 3 {
			subW, subH = 1, 1
		}
		unitX, unitY = subW, subH*(2-frameMBsOnly)
	}
	width := int64(widthMBs)*16 - int64(unitX)*(int64(cropL)+int64(cropR))
	height := int64(2-frameMBsOnly)*int64(heightMapUnits)*16 - int64(unitY)*(int64(cropT)+int64(cropB))
	if width <= 0 || height <= 0 {
		return 0, 0, false
	}
	return int(width), int(height), true
}

// h264Dimensions finds an SPS in an RFC 6184 payload (single NAL unit,
// STAP-A, or the first fragment of an FU-A) and decodes the picture size.
func h264Dimensions(payload []byte) (w, h int, ok bool) {
	if len(payload) < 2 {
		return 0, 0, false
	}
	switch payload[0] & 0x1F {
	case h264NALSPS:
		return h264SPSDimensions(payload[1:])
	case h264NALSTAPA:
		for i := 1; i+2 < len(payload); {
			size := int(binary.BigEndian.Uint16(payload[i:]))
			i += 2
			if size == 0 || i+size > len(payload) {
				return 0, 0, false
			}
			if payload[i]&0x1F == h264NALSPS {
				return h264SPSDimensions(payload[i+1 : i+size])
			}
			i += size
		}
	case h264NALFUA:
		if payload[1]&0x80 != 0 && payload[1]&0x1F == h264NALSPS {
			return h264SPSDimensions(payload[2:])
		}
	}
	return 0, 0, false
}
