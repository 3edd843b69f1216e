package wsclient

import (
	pb "github.com/switchyard-sfu/switchyard/api/proto/switchyard/v1"
	"github.com/switchyard-sfu/switchyard/internal/meeting"
)

// toPB converts the service's ROAP object; one it cannot express becomes
// an empty message, which the client's ROAP session rejects.
func toPB(r *meeting.Roap) *pb.RoapMessage {
	m, err := meeting.RoapToPB(r)
	if err != nil {
		return &pb.RoapMessage{}
	}
	return m
}

func fromPB(m *pb.RoapMessage) *meeting.Roap { return meeting.RoapFromPB(m) }

var slotStates = map[string]pb.SlotState{
	"live":               pb.SlotState_SLOT_STATE_LIVE,
	"no source":          pb.SlotState_SLOT_STATE_NO_SOURCE,
	"avatar":             pb.SlotState_SLOT_STATE_AVATAR,
	"invalid source":     pb.SlotState_SLOT_STATE_INVALID_SOURCE,
	"bandwidth disabled": pb.SlotState_SLOT_STATE_BANDWIDTH_DISABLED,
}

func slotsPB(in []meeting.SlotJS) []*pb.SlotStatus {
	out := make([]*pb.SlotStatus, 0, len(in))
	for _, s := range in {
		out = append(out, &pb.SlotStatus{Mid: s.Mid, State: slotStates[s.State], SourceId: s.SourceID, Layer: s.Layer})
	}
	return out
}

// entriesJS maps the node's media request entries to the protocol's.
func entriesJS(in []*pb.MediaRequestEntry) []meeting.MediaRequestEntry {
	out := make([]meeting.MediaRequestEntry, 0, len(in))
	for _, e := range in {
		l := e.GetLimits()
		j := meeting.MediaRequestEntry{Slots: e.GetSlots(), MaxFs: l.GetMaxFs(), MaxFps: l.GetMaxFps(),
			MaxWidth: l.GetMaxWidth(), MaxHeight: l.GetMaxHeight(), MaxKbps: l.GetMaxPayloadBitsPerSecond() / 1000}
		if e.GetContent() == pb.MediaContent_MEDIA_CONTENT_SLIDES {
			j.Content = "slides"
		}
		if as := e.GetActiveSpeaker(); as != nil {
			prio := as.GetPriority()
			j.Policy, j.Priority = "active-speaker", &prio
			j.PreferLiveVideo, j.CrossPriorityDuplication = as.GetPreferLiveVideo(), as.GetCrossPriorityDuplication()
		} else {
			src := e.GetReceiverSelected().GetSourceId()
			j.Policy, j.SourceID = "receiver-selected", &src
		}
		out = append(out, j)
	}
	return out
}
