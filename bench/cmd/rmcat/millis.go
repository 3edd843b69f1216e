package main

import (
	"encoding/json"
	"strconv"
	"time"
)

// millis is a duration that appears in results.json as milliseconds; a
// negative one (a step that was not reached) as null.
type millis time.Duration

// MarshalJSON writes the duration in milliseconds (fractions kept).
func (m millis) MarshalJSON() ([]byte, error) {
	if m < 0 {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, float64(m)/float64(time.Millisecond), 'f', -1, 64), nil
}

// D is the duration.
func (m millis) D() time.Duration { return time.Duration(m) }

// MarshalJSON writes a schedule step as {"at_ms", "rate_bps"}.
func (p phase) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		At   millis `json:"at_ms"`
		Rate int    `json:"rate_bps"`
	}{millis(p.At), p.Rate})
}
