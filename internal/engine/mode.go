package engine

import (
	"fmt"
	"strings"
)

// Mode says where a pipeline's steps run and where its artifacts come from.
// It is one value so that the illegal combination (offline and direct) cannot
// be represented once a Mode exists.
type Mode int

// The modes kubexm supports. The zero Mode is invalid.
const (
	// OnlineDirect runs the work on the control machine, which fetches
	// artifacts from upstream or the configured mirrors.
	OnlineDirect Mode = iota + 1
	// OnlineIndirect runs the work on the target hosts, which fetch the
	// artifacts themselves.
	OnlineIndirect
	// Offline runs the work on the target hosts with artifacts uploaded from
	// the bundle. It is always indirect.
	Offline
)

// ParseMode turns the --mode and --via flag values into a Mode. mode is
// "online" or "offline"; via is "direct", "indirect" or empty for the mode's
// default (direct online, indirect offline).
func ParseMode(mode, via string) (Mode, error) {
	mode, via = strings.ToLower(strings.TrimSpace(mode)), strings.ToLower(strings.TrimSpace(via))
	switch via {
	case "", "direct", "indirect":
	default:
		return 0, fmt.Errorf("--via %q: want direct or indirect", via)
	}

	switch mode {
	case "online":
		if via == "indirect" {
			return OnlineIndirect, nil
		}
		return OnlineDirect, nil
	case "offline":
		if via == "direct" {
			return 0, fmt.Errorf("--mode offline with --via direct: offline mode always " +
				"runs on the target hosts from the bundle (indirect); drop --via or use --mode online")
		}
		return Offline, nil
	default:
		return 0, fmt.Errorf("--mode %q: want online or offline", mode)
	}
}

// Valid reports whether m is one of the defined modes.
func (m Mode) Valid() bool { return m >= OnlineDirect && m <= Offline }

// String spells the mode as plans and logs show it.
func (m Mode) String() string {
	switch m {
	case OnlineDirect:
		return "online+direct"
	case OnlineIndirect:
		return "online+indirect"
	case Offline:
		return "offline"
	default:
		return fmt.Sprintf("invalid(%d)", int(m))
	}
}

// MarshalText spells the mode in JSON plans and events.
func (m Mode) MarshalText() ([]byte, error) { return []byte(m.String()), nil }
