package room

import (
	"context"
	"fmt"
)

// muteKey names one kind of media of a participant.
type muteKey struct {
	participant string
	kind        TrackKind
	content     Content
}

// MediaFlags enable or disable sending and receiving per kind of media on a
// connection (UpdateMedia). A nil field is left as it is.
type MediaFlags struct {
	SendAudio, SendVideo, SendShare          *bool
	ReceiveAudio, ReceiveVideo, ReceiveShare *bool
}

// mediaSwitches is a connection's current flags; all true at join.
type mediaSwitches struct {
	sendAudio, sendVideo, sendShare          bool
	receiveAudio, receiveVideo, receiveShare bool
}

func allMedia() mediaSwitches { return mediaSwitches{true, true, true, true, true, true} }

func (m *mediaSwitches) apply(f MediaFlags) {
	set := func(dst *bool, v *bool) {
		if v != nil {
			*dst = *v
		}
	}
	set(&m.sendAudio, f.SendAudio)
	set(&m.sendVideo, f.SendVideo)
	set(&m.sendShare, f.SendShare)
	set(&m.receiveAudio, f.ReceiveAudio)
	set(&m.receiveVideo, f.ReceiveVideo)
	set(&m.receiveShare, f.ReceiveShare)
}

func pick(kind TrackKind, content Content, audio, video, share bool) bool {
	switch {
	case content == ContentSlides:
		return share
	case kind == KindAudio:
		return audio
	}
	return video
}

// sends reports whether c may send media of this kind (UpdateMedia).
func (c *Connection) sends(kind TrackKind, content Content) bool {
	return pick(kind, content, c.media.sendAudio, c.media.sendVideo, c.media.sendShare)
}

// receives reports whether c currently takes src's kind of media.
func (c *Connection) receives(src *source) bool {
	return !c.held && pick(src.info.Kind, src.info.Content, c.media.receiveAudio, c.media.receiveVideo, c.media.receiveShare)
}

// forwardable reports whether anyone may receive src now: not muted (the
// node enforces mute, it does not rely on the client), its connection not
// held, its sending not disabled, and for share, its participant holds
// the floor.
func (r *Room) forwardable(src *source) bool {
	if r.stopped(src) {
		return false
	}
	return src.info.Content != ContentSlides || r.floorHolder == src.conn.participantID
}

// stopped reports whether src is muted, its connection held or its sending
// disabled: forwardable without the floor rule.
func (r *Room) stopped(src *source) bool {
	c := src.conn
	return r.muted[muteKey{c.participantID, src.info.Kind, src.info.Content}] || c.held || !c.sends(src.info.Kind, src.info.Content)
}

// SetMute mutes or unmutes a participant's media of one kind; by is who
// asked. Muted media stops at the node.
func (m *Manager) SetMute(ctx context.Context, roomID, participantID string, kind TrackKind, content Content, muted bool, by string) error {
	if err := validateID("participant_id", participantID); err != nil {
		return err
	}
	if by == "" {
		by = participantID
	}
	if err := validateKind(kind, content); err != nil {
		return err
	}
	r, err := m.Room(roomID)
	if err != nil {
		return err
	}
	return r.do(ctx, func() error {
		if _, ok := r.participants[participantID]; !ok {
			return fmt.Errorf("participant %q in room %q: %w", participantID, r.id, ErrParticipantNotFound)
		}
		if _, ok := r.participants[by]; !ok && by != participantID {
			return fmt.Errorf("by_participant_id %q in room %q: %w", by, r.id, ErrParticipantNotFound)
		}
		k := muteKey{participantID, kind, content}
		if r.muted[k] == muted {
			return nil
		}
		if muted {
			r.muted[k] = true
		} else {
			delete(r.muted, k)
		}
		r.emit(MuteChanged{ParticipantID: participantID, Kind: kind, Content: content, Muted: muted, ByParticipantID: by})
		r.replan()
		return nil
	})
}

func validateKind(kind TrackKind, content Content) error {
	if kind != KindAudio && kind != KindVideo {
		return fmt.Errorf("%w: kind must be audio or video", ErrInvalidArgument)
	}
	if content != ContentMain && content != ContentSlides {
		return fmt.Errorf("%w: content must be main or slides", ErrInvalidArgument)
	}
	return nil
}

// SetHold holds or resumes a connection: held, it neither sends nor
// receives media; resumed, its slots restart at a keyframe.
func (m *Manager) SetHold(ctx context.Context, connID string, held bool) error {
	return m.onConnection(ctx, connID, func(r *Room, c *Connection) error {
		if c.held == held {
			return nil
		}
		c.held = held
		r.emit(HoldChanged{ParticipantID: c.participantID, ConnectionID: c.id, Held: held})
		r.replan()
		return nil
	})
}

// UpdateMedia changes what a connection sends and receives without
// renegotiation.
func (m *Manager) UpdateMedia(ctx context.Context, connID string, f MediaFlags) error {
	return m.onConnection(ctx, connID, func(r *Room, c *Connection) error {
		c.media.apply(f)
		r.replan()
		return nil
	})
}

// GrantFloor gives the share floor to participantID, revoking it from the
// previous holder. It returns the holder.
func (m *Manager) GrantFloor(ctx context.Context, roomID, participantID string) (string, error) {
	if err := validateID("participant_id", participantID); err != nil {
		return "", err
	}
	return m.setFloor(ctx, roomID, participantID, "")
}

// ReleaseFloor takes the floor back; with participantID set, only from that
// participant. It returns the holder afterwards.
func (m *Manager) ReleaseFloor(ctx context.Context, roomID, participantID string) (string, error) {
	return m.setFloor(ctx, roomID, "", participantID)
}

func (m *Manager) setFloor(ctx context.Context, roomID, grant, releaseFrom string) (string, error) {
	r, err := m.Room(roomID)
	if err != nil {
		return "", err
	}
	var holder string
	err = r.do(ctx, func() error {
		if grant != "" {
			if _, ok := r.participants[grant]; !ok {
				return fmt.Errorf("participant %q in room %q: %w", grant, r.id, ErrParticipantNotFound)
			}
		} else if releaseFrom != "" && r.floorHolder != releaseFrom {
			holder = r.floorHolder
			return nil
		}
		r.changeFloor(grant)
		holder = r.floorHolder
		return nil
	})
	return holder, err
}

// changeFloor moves the floor and announces it.
func (r *Room) changeFloor(to string) {
	if r.floorHolder == to {
		return
	}
	prev := r.floorHolder
	r.floorHolder = to
	r.emit(FloorChanged{ParticipantID: to, PreviousParticipantID: prev})
	r.replan()
}
