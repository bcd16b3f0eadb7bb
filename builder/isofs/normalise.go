package isofs

import (
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"time"
)

// go-diskfs stamps the volume descriptor with the wall clock and each
// Rock Ridge entry with the workspace files' change time (which no
// program can set) and owners. normalise rewrites those fields (and the
// padding of the descriptor's identifiers) in the
// finished image so that it depends on its content and t alone. The
// offsets are those of ECMA-119 (volume descriptor, directory records)
// and of SUSP/RRIP 1.12 (the PX, TF and CE entries).
const (
	pvdOffset      = 16 * SectorSize
	pvdVolumeSize  = 80  // both-endian block count
	pvdRootRecord  = 156 // the root directory record, 34 bytes
	pvdCreated     = 813 // four 17-byte dates: created, modified, expires, effective
	recordDate     = 18  // 7-byte recording date in a directory record
	recordFlags    = 25
	recordNameLen  = 32
	flagDirectory  = 2
	modeTypeMask   = 0o170000
	modeDirectory  = 0o040000
	maxSUSPEntries = 64 // CE chains followed per record, against loops
)

// normalise sets every date in the image to t and every owner to root,
// and returns the image's size in blocks.
func normalise(f *os.File, t time.Time) (int64, error) {
	pvd := make([]byte, SectorSize)
	if _, err := f.ReadAt(pvd, pvdOffset); err != nil {
		return 0, fmt.Errorf("reading the volume descriptor: %w", err)
	}
	if pvd[0] != 1 || string(pvd[1:6]) != "CD001" {
		return 0, fmt.Errorf("no primary volume descriptor at sector 16")
	}
	padIdentifiers(pvd)
	long := longDate(t)
	copy(pvd[pvdCreated:], long)
	copy(pvd[pvdCreated+17:], long)
	copy(pvd[pvdCreated+34:], "0000000000000000\x00") // never expires
	copy(pvd[pvdCreated+51:], long)
	root := pvd[pvdRootRecord : pvdRootRecord+34]
	copy(root[recordDate:], shortDate(t))
	if err := fixPathTables(f, pvd); err != nil {
		return 0, err
	}
	if _, err := f.WriteAt(pvd, pvdOffset); err != nil {
		return 0, err
	}

	n := &normaliser{f: f, short: shortDate(t)}
	loc := binary.LittleEndian.Uint32(root[2:])
	size := binary.LittleEndian.Uint32(root[10:])
	if err := n.directory(loc, size); err != nil {
		return 0, err
	}
	return int64(binary.LittleEndian.Uint32(pvd[pvdVolumeSize:])), nil
}

// pvdStrings are the identifier fields of the volume descriptor (system,
// volume, volume set, publisher, preparer, application, copyright,
// abstract, bibliography), which ECMA-119 pads with spaces; go-diskfs pads
// them with zero bytes, which blkid would show as part of the label.
var pvdStrings = [][2]int{{8, 40}, {40, 72}, {190, 318}, {318, 446}, {446, 574},
	{574, 702}, {702, 739}, {739, 776}, {776, 813}}

func padIdentifiers(pvd []byte) {
	for _, r := range pvdStrings {
		for i := r[0]; i < r[1]; i++ {
			if pvd[i] == 0 {
				pvd[i] = ' '
			}
		}
	}
}

type normaliser struct {
	f     *os.File
	short []byte
}

// directory fixes the records of one directory extent and those below.
func (n *normaliser) directory(loc, size uint32) error {
	buf := make([]byte, size)
	if _, err := n.f.ReadAt(buf, int64(loc)*SectorSize); err != nil && err != io.EOF {
		return fmt.Errorf("reading directory at block %d: %w", loc, err)
	}
	type extent struct{ loc, size uint32 }
	var subdirs []extent
	for pos := 0; pos < len(buf); {
		l := int(buf[pos])
		if l == 0 { // records do not cross a block: go to the next
			pos = (pos/SectorSize + 1) * SectorSize
			continue
		}
		if pos+l > len(buf) || l < 34 {
			return fmt.Errorf("bad directory record at block %d offset %d", loc, pos)
		}
		rec := buf[pos : pos+l]
		if err := n.record(rec); err != nil {
			return fmt.Errorf("directory at block %d: %w", loc, err)
		}
		nameLen := int(rec[recordNameLen])
		dot := nameLen == 1 && rec[33] <= 1
		if rec[recordFlags]&flagDirectory != 0 && !dot {
			subdirs = append(subdirs, extent{binary.LittleEndian.Uint32(rec[2:]),
				binary.LittleEndian.Uint32(rec[10:])})
		}
		pos += l
	}
	if _, err := n.f.WriteAt(buf, int64(loc)*SectorSize); err != nil {
		return err
	}

	for _, d := range subdirs {
		if err := n.directory(d.loc, d.size); err != nil {
			return err
		}
	}
	return nil
}

// record fixes one directory record: its date and its SUSP entries.
func (n *normaliser) record(rec []byte) error {
	copy(rec[recordDate:], n.short)
	fillEmptyName(rec)
	nameLen := int(rec[recordNameLen])
	start := 33 + nameLen
	if nameLen%2 == 0 {
		start++ // padding byte
	}
	if start > len(rec) {
		return fmt.Errorf("record shorter than its name")
	}
	return n.susp(rec[start:], 0)
}

// susp fixes the entries of a system use area, following CE entries to
// their continuation areas.
func (n *normaliser) susp(area []byte, depth int) error {
	if depth > maxSUSPEntries {
		return fmt.Errorf("continuation areas loop")
	}
	for i := 0; i+4 <= len(area); {
		l := int(area[i+2])
		if l < 4 || i+l > len(area) {
			return nil // padding or the end of the area
		}
		e := area[i : i+l]
		switch string(e[:2]) {
		case "TF":
			n.timestamps(e)
		case "PX":
			owners(e)
		case "CE":
			if err := n.continuation(e, depth); err != nil {
				return err
			}
		case "ST":
			return nil
		}
		i += l
	}
	return nil
}

// timestamps sets every stamp of a TF entry to t.
func (n *normaliser) timestamps(e []byte) {
	if len(e) < 5 || e[4]&0x80 != 0 { // long form: go-diskfs writes short
		return
	}
	for off := 5; off+7 <= len(e); off += 7 {
		copy(e[off:], n.short)
	}
}

// owners sets a PX entry's uid and gid to 0, and a file's link count to
// 1 (the workspace holds hard links).
func owners(e []byte) {
	if len(e) < 36 {
		return
	}
	if binary.LittleEndian.Uint32(e[4:])&modeTypeMask != modeDirectory {
		putBoth32(e[12:], 1)
	}
	putBoth32(e[20:], 0)
	putBoth32(e[28:], 0)
}

// continuation fixes the area a CE entry points to.
func (n *normaliser) continuation(e []byte, depth int) error {
	if len(e) < 28 {
		return fmt.Errorf("short CE entry")
	}
	loc := binary.LittleEndian.Uint32(e[4:])
	off := binary.LittleEndian.Uint32(e[12:])
	size := binary.LittleEndian.Uint32(e[20:])
	at := int64(loc)*SectorSize + int64(off)
	area := make([]byte, size)
	if _, err := n.f.ReadAt(area, at); err != nil {
		return fmt.Errorf("reading continuation area at block %d: %w", loc, err)
	}
	if err := n.susp(area, depth+1); err != nil {
		return err
	}
	_, err := n.f.WriteAt(area, at)
	return err
}

func putBoth32(b []byte, v uint32) {
	binary.LittleEndian.PutUint32(b, v)
	binary.BigEndian.PutUint32(b[4:], v)
}

// shortDate is the 7-byte form of t in UTC (directory records, TF).
func shortDate(t time.Time) []byte {
	t = t.UTC()
	return []byte{byte(t.Year() - 1900), byte(t.Month()), byte(t.Day()),
		byte(t.Hour()), byte(t.Minute()), byte(t.Second()), 0}
}

// longDate is the 17-byte form of t in UTC (volume descriptor).
func longDate(t time.Time) []byte {
	t = t.UTC()
	s := fmt.Sprintf("%04d%02d%02d%02d%02d%02d%02d", t.Year(), t.Month(), t.Day(),
		t.Hour(), t.Minute(), t.Second(), t.Nanosecond()/1e7)
	return append([]byte(s), 0)
}
