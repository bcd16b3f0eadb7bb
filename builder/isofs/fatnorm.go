package isofs

import (
	"encoding/binary"
	"fmt"
	"os"
	"time"
)

// go-diskfs dates each FAT folder entry with the wall clock (or
// SOURCE_DATE_EPOCH, which is process-wide), so normaliseFAT rewrites the
// dates of every entry in the finished FAT16 volume, and its serial
// number, to derive from t alone. Offsets are those of the FAT
// specification: the BIOS parameter block in sector 0, 32-byte folder
// entries.
const (
	bpbSectorSize   = 11
	bpbClusterSize  = 13 // sectors per cluster
	bpbReserved     = 14
	bpbFATs         = 16
	bpbRootEntries  = 17
	bpbFATSize      = 22 // sectors per FAT
	bpbSerial       = 39
	entrySize       = 32
	entryAttr       = 11
	entryCluster    = 26
	attrLongName    = 0x0f
	attrFolder      = 0x10
	entryFree       = 0xe5
	fat16EndOfChain = 0xfff8
	maxFATDepth     = 64
)

// fatVolume is the layout of a FAT16 volume being normalised.
type fatVolume struct {
	f                  *os.File
	cluster, dataStart int64
	fat                []byte
	date, time         uint16
	used               map[uint16]bool // first clusters of all entries
}

// normaliseFAT sets every date of the FAT16 volume f to t (clamped to
// what FAT can hold, 1980 to 2107) and its serial number to one from t.
func normaliseFAT(f *os.File, t time.Time) error {
	boot := make([]byte, diskSector)
	if _, err := f.ReadAt(boot, 0); err != nil {
		return fmt.Errorf("reading the boot sector: %w", err)
	}
	bps := int64(binary.LittleEndian.Uint16(boot[bpbSectorSize:]))
	fatStart := int64(binary.LittleEndian.Uint16(boot[bpbReserved:])) * bps
	fatLen := int64(binary.LittleEndian.Uint16(boot[bpbFATSize:])) * bps
	rootStart := fatStart + int64(boot[bpbFATs])*fatLen
	rootLen := int64(binary.LittleEndian.Uint16(boot[bpbRootEntries:])) * entrySize
	if bps != diskSector || fatLen == 0 || rootLen == 0 {
		return fmt.Errorf("not a FAT16 volume of 512-byte sectors")
	}

	v := &fatVolume{f: f, cluster: int64(boot[bpbClusterSize]) * bps,
		dataStart: rootStart + (rootLen+bps-1)/bps*bps, fat: make([]byte, fatLen),
		used: map[uint16]bool{}}
	v.date, v.time = fatDate(t)
	if _, err := f.ReadAt(v.fat, fatStart); err != nil {
		return fmt.Errorf("reading the FAT: %w", err)
	}
	binary.LittleEndian.PutUint32(boot[bpbSerial:], uint32(t.Unix()))
	if _, err := f.WriteAt(boot, 0); err != nil {
		return err
	}
	if err := v.folder([]int64{rootStart}, rootLen, 0); err != nil {
		return err
	}
	return v.freeRootCluster(fatStart, fatLen, int(boot[bpbFATs]))
}

// freeRootCluster frees cluster 2 when no entry uses it: go-diskfs keeps
// it for a root folder, as FAT32 has, but the root of FAT16 lies apart,
// so the cluster would be lost space that fsck.fat reports.
func (v *fatVolume) freeRootCluster(fatStart, fatLen int64, fats int) error {
	if v.used[2] || binary.LittleEndian.Uint16(v.fat[4:]) < fat16EndOfChain {
		return nil
	}
	binary.LittleEndian.PutUint16(v.fat[4:], 0)
	for i := range fats {
		if _, err := v.f.WriteAt(v.fat, fatStart+int64(i)*fatLen); err != nil {
			return fmt.Errorf("writing FAT %d: %w", i+1, err)
		}
	}
	return nil
}

// folder fixes the entries in the extents at offsets (each of size
// bytes) and the folders below them.
func (v *fatVolume) folder(offsets []int64, size int64, depth int) error {
	if depth > maxFATDepth {
		return fmt.Errorf("folders nest deeper than %d", maxFATDepth)
	}
	var subs []uint16
	for _, off := range offsets {
		buf := make([]byte, size)
		if _, err := v.f.ReadAt(buf, off); err != nil {
			return fmt.Errorf("reading a folder at byte %d: %w", off, err)
		}
		for e := buf; len(e) >= entrySize; e = e[entrySize:] {
			if e[0] == 0 {
				break
			}
			if e[0] == entryFree || e[entryAttr] == attrLongName {
				continue
			}
			v.stamp(e)
			v.used[binary.LittleEndian.Uint16(e[entryCluster:])] = true
			if e[entryAttr]&attrFolder != 0 && e[0] != '.' {
				subs = append(subs, binary.LittleEndian.Uint16(e[entryCluster:]))
			}
		}
		if _, err := v.f.WriteAt(buf, off); err != nil {
			return err
		}
	}

	for _, c := range subs {
		chain, err := v.chain(c)
		if err != nil {
			return err
		}
		if err := v.folder(chain, v.cluster, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// stamp sets the creation, access and change dates of an entry.
func (v *fatVolume) stamp(e []byte) {
	e[13] = 0 // creation time, hundredths
	binary.LittleEndian.PutUint16(e[14:], v.time)
	binary.LittleEndian.PutUint16(e[16:], v.date)
	binary.LittleEndian.PutUint16(e[18:], v.date)
	binary.LittleEndian.PutUint16(e[22:], v.time)
	binary.LittleEndian.PutUint16(e[24:], v.date)
}

// chain returns the byte offsets of the clusters of the chain from c.
func (v *fatVolume) chain(c uint16) ([]int64, error) {
	var offsets []int64
	for c >= 2 && c < fat16EndOfChain {
		if int(c)*2+2 > len(v.fat) || len(offsets) > len(v.fat)/2 {
			return nil, fmt.Errorf("bad cluster chain at cluster %d", c)
		}
		offsets = append(offsets, v.dataStart+int64(c-2)*v.cluster)
		c = binary.LittleEndian.Uint16(v.fat[int(c)*2:])
	}
	return offsets, nil
}

// fatDate is t as a FAT date and time (two-second steps), clamped to the
// years FAT can hold.
func fatDate(t time.Time) (date, clock uint16) {
	t = t.UTC()
	switch {
	case t.Year() < 1980:
		t = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)
	case t.Year() > 2107:
		t = time.Date(2107, 12, 31, 23, 59, 58, 0, time.UTC)
	}
	date = uint16(t.Year()-1980)<<9 | uint16(t.Month())<<5 | uint16(t.Day())
	clock = uint16(t.Hour())<<11 | uint16(t.Minute())<<5 | uint16(t.Second()/2)
	return date, clock
}
