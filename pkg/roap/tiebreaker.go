package roap

// Tie breaker values. In glare the higher tie breaker wins. Webex clients
// always send ClientTieBreaker and always resolve glare in their own favour,
// so a node must stay below it: a higher value would make the two sides
// disagree on the winner, an equal one makes both answer DOUBLECONFLICT and
// retry.
const (
	// ClientTieBreaker is the value Webex clients always send.
	ClientTieBreaker uint32 = 0xFFFFFFFE
	// MaxNodeTieBreaker is the largest tie breaker a media node may use.
	MaxNodeTieBreaker uint32 = 0xFFFFFFFD
)

// NodeTieBreaker maps any value, typically a random one, into
// [0, MaxNodeTieBreaker], the range a media node must use.
func NodeTieBreaker(r uint32) uint32 {
	return r % (MaxNodeTieBreaker + 1)
}
