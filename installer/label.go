package installer

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// Filesystem types of a labelled medium, as mount(2) names them.
const (
	FSISO9660 = "iso9660"
	FSVFAT    = "vfat"
)

// ErrNoLabel is returned for a device that holds neither an ISO 9660 nor a
// FAT filesystem: most disks of a seed node.
var ErrNoLabel = errors.New("no ISO 9660 or FAT filesystem")

// Volume is the filesystem found on a device and its label.
type Volume struct {
	// FS is FSISO9660 or FSVFAT.
	FS string
	// Label is the volume label, trailing spaces removed.
	Label string
}

// ReadVolumeFile reads the volume label of the filesystem in the file or
// device at path.
func ReadVolumeFile(path string) (Volume, error) {
	f, err := os.Open(path)
	if err != nil {
		return Volume{}, fmt.Errorf("reading volume label: %w", err)
	}
	defer f.Close()
	v, err := ReadVolume(f)
	if err != nil {
		return Volume{}, fmt.Errorf("%s: %w", path, err)
	}
	return v, nil
}

// ReadVolume reads the volume label of an ISO 9660 or FAT filesystem. ISO
// 9660 is tried first: a hybrid ISO also carries an MBR, whose boot
// signature would otherwise pass for a FAT boot sector.
func ReadVolume(r io.ReaderAt) (Volume, error) {
	label, err := isoLabel(r)
	if err == nil {
		return Volume{FS: FSISO9660, Label: label}, nil
	}
	if !errors.Is(err, ErrNoLabel) {
		return Volume{}, err
	}
	label, err = fatLabel(r)
	if err != nil {
		return Volume{}, err
	}
	return Volume{FS: FSVFAT, Label: label}, nil
}

// The ISO 9660 volume descriptors start at sector 16 (of 2048 bytes), after
// a system area an El Torito or hybrid image uses for boot code and the MBR.
const (
	isoSector         = 2048
	isoFirstSector    = 16
	isoMaxDescriptors = 32 // boot record, primary, supplementary (Joliet), ...
	isoPrimary        = 1
	isoTerminator     = 255
)

// isoLabel returns the volume identifier of the primary volume descriptor:
// bytes 40-71, padded with spaces.
func isoLabel(r io.ReaderAt) (string, error) {
	buf := make([]byte, isoSector)
	for i := range isoMaxDescriptors {
		off := int64(isoFirstSector+i) * isoSector
		if _, err := r.ReadAt(buf, off); err != nil {
			if errors.Is(err, io.EOF) {
				return "", ErrNoLabel
			}
			return "", fmt.Errorf("reading ISO 9660 volume descriptor at byte %d: %w", off, err)
		}
		if string(buf[1:6]) != "CD001" {
			return "", ErrNoLabel
		}
		switch buf[0] {
		case isoPrimary:
			return strings.TrimRight(string(buf[40:72]), " \x00"), nil
		case isoTerminator:
			return "", fmt.Errorf("ISO 9660 volume descriptors end without a primary one")
		}
	}
	return "", fmt.Errorf("no ISO 9660 primary volume descriptor in the first %d", isoMaxDescriptors)
}

// fatNoName is the label mkfs writes to a FAT boot sector when given none.
const fatNoName = "NO NAME"

// fatAttrVolumeID marks the root-directory entry that holds the label.
const fatAttrVolumeID = 0x08

// bpb is the part of a FAT boot sector (BIOS parameter block) that locates
// the label.
type bpb struct {
	bytesPerSector    uint16
	sectorsPerCluster uint8
	reservedSectors   uint16
	fats              uint8
	rootEntries       uint16
	fatSize           uint32
	rootCluster       uint32 // FAT32 only
	label             string // of the extended boot record, "" if none
}

// fatLabel returns the label of a FAT12, FAT16 or FAT32 filesystem. The
// root directory's volume entry wins over the boot sector's copy, because
// tools that relabel a volume may update only the entry.
func fatLabel(r io.ReaderAt) (string, error) {
	sector := make([]byte, 512)
	if _, err := r.ReadAt(sector, 0); err != nil {
		if errors.Is(err, io.EOF) {
			return "", ErrNoLabel
		}
		return "", fmt.Errorf("reading FAT boot sector: %w", err)
	}
	b, ok := parseBPB(sector)
	if !ok {
		return "", ErrNoLabel
	}

	label, err := fatRootLabel(r, b)
	if err != nil {
		return "", err
	}
	if label == "" && b.label != fatNoName {
		label = b.label
	}
	return label, nil
}

// parseBPB reads a FAT boot sector, and reports false if it is none.
func parseBPB(s []byte) (bpb, bool) {
	le := binary.LittleEndian
	b := bpb{
		bytesPerSector:    le.Uint16(s[11:]),
		sectorsPerCluster: s[13],
		reservedSectors:   le.Uint16(s[14:]),
		fats:              s[16],
		rootEntries:       le.Uint16(s[17:]),
		fatSize:           uint32(le.Uint16(s[22:])),
	}
	jump := s[0] == 0xEB || s[0] == 0xE9
	sizeOK := b.bytesPerSector >= 512 && b.bytesPerSector <= 4096 &&
		b.bytesPerSector&(b.bytesPerSector-1) == 0
	clusterOK := b.sectorsPerCluster != 0 && b.sectorsPerCluster&(b.sectorsPerCluster-1) == 0
	if !jump || s[510] != 0x55 || s[511] != 0xAA || !sizeOK || !clusterOK ||
		b.fats == 0 || b.reservedSectors == 0 {
		return bpb{}, false
	}

	// FAT32 has no 16-bit FAT size; its extended boot record sits later.
	sig, labelAt := 38, 43
	if b.fatSize == 0 {
		b.fatSize, b.rootCluster = le.Uint32(s[36:]), le.Uint32(s[44:])
		sig, labelAt = 66, 71
	}
	if s[sig] == 0x29 {
		b.label = trimLabel(s[labelAt : labelAt+11])
	}
	return b, true
}

// fatRootLabel finds the volume label entry in the root directory: the
// fixed root region of FAT12/16, or the first cluster of FAT32's root.
func fatRootLabel(r io.ReaderAt, b bpb) (string, error) {
	sector := int64(b.bytesPerSector)
	start := (int64(b.reservedSectors) + int64(b.fats)*int64(b.fatSize)) * sector
	size := int64(b.rootEntries) * 32
	if b.rootCluster >= 2 {
		clusterSize := int64(b.sectorsPerCluster) * sector
		start += int64(b.rootCluster-2) * clusterSize
		size = clusterSize
	}

	dir := make([]byte, size)
	if _, err := r.ReadAt(dir, start); err != nil {
		return "", fmt.Errorf("reading FAT root directory at byte %d: %w", start, err)
	}
	for e := 0; e+32 <= len(dir); e += 32 {
		entry := dir[e : e+32]
		switch {
		case entry[0] == 0x00: // no entries after this one
			return "", nil
		case entry[0] == 0xE5: // deleted
		case entry[11] == 0x0F: // a piece of a long file name
		case entry[11]&fatAttrVolumeID != 0:
			return trimLabel(entry[:11]), nil
		}
	}
	return "", nil
}

// trimLabel drops the space padding (and any NUL) of a FAT label.
func trimLabel(b []byte) string {
	return string(bytes.TrimRight(b, " \x00"))
}
