// Package speaker finds the dominant speaker of a meeting from the audio
// levels its sources send (RFC 6464: 0 is the loudest, 127 silence, in
// -dBov), and ranks the current speakers.
//
// The caller observes each audio source periodically (say every 100 ms) with
// the mean level over that interval and the fraction of its packets that had
// the voice-activity bit set, and calls [Detector.Evaluate] now and then
// (say every 100–300 ms) to learn whether the dominant speaker changed.
//
// # Scoring
//
// Each observation becomes an energy: how far the level is above the
// silence threshold, in dB, weighted by voicing,
//
//	energy = max(0, SilenceLevel - level) * (0.5 + 0.5*voicedFraction)
//
// so a loud but unvoiced noise (a click, typing) counts half as much as
// speech at the same level. An observation covers the time since the
// previous one of its source (at most two Intervals; the first covers one
// Interval), and its energy is written to every time bucket it covers. Each
// source keeps a ring of 30 buckets spanning Window (50 ms each by default);
// a bucket that was not written during the current window reads as silence,
// so a source that stops sending (muted, DTX) fades out on its own.
//
// A challenger wins a bucket when it speaks there and is clearly louder than
// the dominant speaker: its energy is at least LouderBy dB (default 6) above
// the dominant speaker's in the same bucket (or above silence when there is no
// dominant speaker yet). Evaluate looks at the buckets of the last Window:
// a challenger that won at least SwitchAfter worth of them (20 of 30 buckets
// by default) takes over. If several qualify, the one with the most won
// buckets wins, then the one with the most energy in the window, then the
// one seen first.
//
// This is an energy-over-window rule with hysteresis built in: a cough or a
// click (well under SwitchAfter) can never win enough buckets; two people
// talking over each other at similar levels do not flip the dominant
// speaker; someone who talks steadily for SwitchAfter while the dominant
// speaker is silent (or much quieter) takes over about SwitchAfter after they
// started. Because a bucket cannot be won by both sides, the speaker who just
// lost cannot win straight back while SwitchAfter is more than half of
// Window. When everyone is silent nobody wins, so the last dominant speaker
// stays.
//
// [Detector.Speakers] ranks the other sources by their energy over the last
// Window (as of the last Evaluate), then by when they last spoke; sources
// that never spoke come last, in the order they were first observed, which
// also breaks every remaining tie.
//
// The package is pure: no goroutines, no clock, no sockets. A Detector is
// not safe for concurrent use; the room's actor owns it.
package speaker
