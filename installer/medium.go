package installer

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// blockPrefixes are the kinds of block device a medium can be on: optical
// drives, SCSI/SATA/USB disks, virtio disks and NVMe drives. Partitions
// are listed too (a FAT stick has its filesystem in sdb1), and so are whole
// disks, because a hybrid ISO written to a stick starts at byte 0.
var blockPrefixes = []string{"sr", "sd", "vd", "nvme"}

// Device is a block device and the volume found on it.
type Device struct {
	// Path is the device node, e.g. /dev/sr0.
	Path string
	Volume
}

// BlockDevices lists the device nodes of the candidate block devices in
// the sysfs directory sysBlock, sorted by name.
func BlockDevices(sysBlock, dev string) ([]string, error) {
	entries, err := os.ReadDir(sysBlock)
	if err != nil {
		return nil, fmt.Errorf("listing block devices: %w", err)
	}
	var paths []string
	for _, e := range entries {
		name := e.Name()
		if slices.ContainsFunc(blockPrefixes, func(p string) bool {
			return strings.HasPrefix(name, p)
		}) {
			paths = append(paths, filepath.Join(dev, name))
		}
	}
	slices.Sort(paths)
	return paths, nil
}

// FindVolume returns the first block device whose volume label is label
// (compared without case, as FAT labels are). Devices that cannot be read
// or hold no known filesystem are skipped.
func FindVolume(sysBlock, dev, label string) (Device, error) {
	paths, err := BlockDevices(sysBlock, dev)
	if err != nil {
		return Device{}, err
	}
	var seen []string
	for _, p := range paths {
		v, err := ReadVolumeFile(p)
		if err != nil {
			continue // an empty drive, or a disk of another filesystem
		}
		if strings.EqualFold(v.Label, label) {
			return Device{Path: p, Volume: v}, nil
		}
		seen = append(seen, fmt.Sprintf("%s (%s %q)", filepath.Base(p), v.FS, v.Label))
	}
	if len(seen) == 0 {
		seen = []string{"none with a label"}
	}
	return Device{}, &notFoundError{label: label, devices: len(paths), seen: seen}
}

// notFoundError is a label found on no device; it says what was seen.
type notFoundError struct {
	label   string
	devices int
	seen    []string
}

func (e *notFoundError) Error() string {
	return fmt.Sprintf("no medium labelled %s among %d block devices (seen: %s)",
		e.label, e.devices, strings.Join(e.seen, ", "))
}

// progressEvery is how often an unchanged miss is reported.
const progressEvery = 10 * time.Second

// Wait says how long to look for a medium.
type Wait struct {
	// Timeout is how long to keep looking; 0 looks once.
	Timeout time.Duration
	// Interval is the pause between looks.
	Interval time.Duration
	// Progress is told, once per look that finds nothing, what was seen.
	Progress func(string)
}

// WaitForVolume looks for label until it is found or w.Timeout passes.
// USB sticks appear seconds after the kernel starts, and a CD drive may
// still be spinning up, so a first miss is no failure.
func WaitForVolume(ctx context.Context, sysBlock, dev, label string, w Wait) (Device, error) {
	deadline := time.Now().Add(w.Timeout)
	var said string
	var saidAt time.Time
	for {
		d, err := FindVolume(sysBlock, dev, label)
		var nf *notFoundError
		if err == nil || !errors.As(err, &nf) || !time.Now().Before(deadline) {
			return d, err
		}
		// Said again when what is seen changes, else every progressEvery:
		// a line a second would push the rest of the console away.
		if w.Progress != nil && (err.Error() != said || time.Since(saidAt) >= progressEvery) {
			said, saidAt = err.Error(), time.Now()
			w.Progress(fmt.Sprintf("%v; looking again for %s",
				err, time.Until(deadline).Round(time.Second)))
		}

		select {
		case <-ctx.Done():
			return Device{}, fmt.Errorf("looking for a medium labelled %s: %w", label, ctx.Err())
		case <-time.After(w.Interval):
		}
	}
}
