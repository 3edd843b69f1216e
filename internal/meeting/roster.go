package meeting

import (
	"sort"

	pb "github.com/switchyard-sfu/switchyard/api/proto/switchyard/v1"
)

// roster is who is in a meeting and what each publishes, built from
// GetRoom and kept current from the room's events. Owned by the meeting's
// relay goroutine (under the meeting's lock).
type roster struct {
	participants map[string]*rosterEntry
}

type rosterEntry struct {
	name string
	// sources by track id; a track's source id is stable for the
	// publication.
	sources map[string]*rosterTrack
}

type rosterTrack struct {
	connID string
	src    RosterSource
}

func newRoster() *roster { return &roster{participants: map[string]*rosterEntry{}} }

// reset rebuilds the roster from a room description.
func (r *roster) reset(room *pb.GetRoomResponse) {
	r.participants = map[string]*rosterEntry{}
	for _, p := range room.GetParticipants() {
		e := r.entry(p.GetParticipantId())
		e.name = p.GetDisplayName()
		for _, d := range p.GetDevices() {
			for _, t := range d.GetPublishedTracks() {
				e.sources[t.GetTrackId()] = &rosterTrack{connID: d.GetConnectionId(), src: sourceOf(t)}
			}
		}
	}
}

func (r *roster) entry(id string) *rosterEntry {
	e, ok := r.participants[id]
	if !ok {
		e = &rosterEntry{sources: map[string]*rosterTrack{}}
		r.participants[id] = e
	}
	return e
}

func sourceOf(t *pb.Track) RosterSource {
	return RosterSource{SourceID: t.GetSourceId(), Kind: kindName(t.GetKind()), Content: contentName(t.GetContent()), Muted: t.GetMuted()}
}

// apply updates the roster from one event and reports whether it changed.
func (r *roster) apply(ev *pb.Event) bool {
	switch p := ev.GetPayload().(type) {
	case *pb.Event_ParticipantJoined:
		e := r.entry(p.ParticipantJoined.GetParticipantId())
		e.name = p.ParticipantJoined.GetDisplayName()
		return true
	case *pb.Event_ParticipantLeft:
		_, ok := r.participants[p.ParticipantLeft.GetParticipantId()]
		delete(r.participants, p.ParticipantLeft.GetParticipantId())
		return ok
	case *pb.Event_DeviceLeft:
		e, ok := r.participants[p.DeviceLeft.GetParticipantId()]
		if !ok {
			return false
		}
		changed := false
		for id, t := range e.sources {
			if t.connID == p.DeviceLeft.GetConnectionId() {
				delete(e.sources, id)
				changed = true
			}
		}
		return changed
	case *pb.Event_TrackPublished:
		tp := p.TrackPublished
		e := r.entry(tp.GetParticipantId())
		e.sources[tp.GetTrack().GetTrackId()] = &rosterTrack{connID: tp.GetConnectionId(), src: sourceOf(tp.GetTrack())}
		return true
	case *pb.Event_TrackUnpublished:
		e, ok := r.participants[p.TrackUnpublished.GetParticipantId()]
		if !ok {
			return false
		}
		_, had := e.sources[p.TrackUnpublished.GetTrackId()]
		delete(e.sources, p.TrackUnpublished.GetTrackId())
		return had
	case *pb.Event_MuteChanged:
		mc := p.MuteChanged
		e, ok := r.participants[mc.GetParticipantId()]
		if !ok {
			return false
		}
		kind, content := kindName(mc.GetKind()), contentName(mc.GetContent())
		changed := false
		for _, t := range e.sources {
			if t.src.Kind == kind && t.src.Content == content && t.src.Muted != mc.GetMuted() {
				t.src.Muted = mc.GetMuted()
				changed = true
			}
		}
		return changed
	}
	return false
}

// message is the whole roster as sent to browsers, in a stable order
// (participants by id, sources by source id).
func (r *roster) message() RosterMsg {
	out := RosterMsg{Type: TypeRoster, Participants: []RosterParticipant{}}
	for id, e := range r.participants {
		p := RosterParticipant{ParticipantID: id, Name: e.name, Sources: []RosterSource{}}
		for _, t := range e.sources {
			p.Sources = append(p.Sources, t.src)
		}
		sort.Slice(p.Sources, func(i, j int) bool { return p.Sources[i].SourceID < p.Sources[j].SourceID })
		out.Participants = append(out.Participants, p)
	}
	sort.Slice(out.Participants, func(i, j int) bool {
		return out.Participants[i].ParticipantID < out.Participants[j].ParticipantID
	})
	return out
}
