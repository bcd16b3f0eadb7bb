package isofs

import (
	"encoding/binary"
	"fmt"
	"os"
)

// go-diskfs derives a folder's ISO 9660 name from the part of its name
// before the first dot, so a folder such as .kubexm gets an empty
// identifier: an invalid record that readers without Rock Ridge (and
// go-diskfs's own reader) cannot walk. The fix keeps every offset: a
// record with an even name length has one padding byte after the name,
// so an empty name becomes the one-character name in that byte; in the
// path tables an empty identifier grows by two bytes (name and padding),
// so they are written again.
//
// The character is the lowest of ECMA-119's d-characters, so the record
// keeps its place first among its siblings, where the empty name sorted.
const emptyNameFill = '0'

// PVD fields of the path tables (ECMA-119 8.4.14-8.4.17).
const (
	pvdPathTableSize = 132 // both-endian byte count
	pvdLPathTable    = 140 // little-endian block of the L table
	pvdMPathTable    = 148 // big-endian block of the M table
)

// fillEmptyName gives a folder record with an empty identifier the name
// emptyNameFill, in the padding byte that follows the empty name.
func fillEmptyName(rec []byte) {
	if rec[recordFlags]&flagDirectory != 0 && rec[recordNameLen] == 0 && len(rec) > 33 {
		rec[recordNameLen] = 1
		rec[33] = emptyNameFill
	}
}

// pathEntry is one record of a path table.
type pathEntry struct {
	extent uint32
	parent uint16
	name   []byte
}

// fixPathTables rewrites both path tables with empty identifiers filled,
// as fillEmptyName does for the directory records, and the table size in
// the volume descriptor pvd (which the caller writes back).
func fixPathTables(f *os.File, pvd []byte) error {
	size := binary.LittleEndian.Uint32(pvd[pvdPathTableSize:])
	lLoc := binary.LittleEndian.Uint32(pvd[pvdLPathTable:])
	mLoc := binary.BigEndian.Uint32(pvd[pvdMPathTable:])
	table := make([]byte, size)
	if _, err := f.ReadAt(table, int64(lLoc)*SectorSize); err != nil {
		return fmt.Errorf("reading the path table: %w", err)
	}
	entries, changed, err := parsePathTable(table)
	if err != nil || !changed {
		return err
	}

	l, m := encodePathTable(entries, binary.LittleEndian), encodePathTable(entries, binary.BigEndian)
	if blocks(len(l)) > blocks(int(size)) || (mLoc > lLoc && int64(lLoc)+blocks(len(l)) > int64(mLoc)) {
		return fmt.Errorf("the path table grows past its blocks (%d bytes to %d)", size, len(l))
	}
	if _, err := f.WriteAt(l, int64(lLoc)*SectorSize); err != nil {
		return err
	}
	if _, err := f.WriteAt(m, int64(mLoc)*SectorSize); err != nil {
		return err
	}
	putBoth32(pvd[pvdPathTableSize:], uint32(len(l)))
	return nil
}

func blocks(n int) int64 { return (int64(n) + SectorSize - 1) / SectorSize }

// parsePathTable reads an L path table, filling empty identifiers, and
// says whether there was one.
func parsePathTable(t []byte) ([]pathEntry, bool, error) {
	var out []pathEntry
	changed := false
	for pos := 0; pos < len(t); {
		if pos+8 > len(t) {
			return nil, false, fmt.Errorf("path table: record at %d cut short", pos)
		}
		n := int(t[pos])
		if pos+8+n > len(t) {
			return nil, false, fmt.Errorf("path table: name at %d cut short", pos)
		}
		name := append([]byte(nil), t[pos+8:pos+8+n]...)
		if n == 0 {
			name, changed = []byte{emptyNameFill}, true
		}
		out = append(out, pathEntry{extent: binary.LittleEndian.Uint32(t[pos+2:]),
			parent: binary.LittleEndian.Uint16(t[pos+6:]), name: name})
		pos += 8 + n + n%2
	}
	return out, changed, nil
}

func encodePathTable(entries []pathEntry, order binary.ByteOrder) []byte {
	var b []byte
	for _, e := range entries {
		rec := make([]byte, 8, 8+len(e.name)+1)
		rec[0] = byte(len(e.name))
		order.PutUint32(rec[2:], e.extent)
		order.PutUint16(rec[6:], e.parent)
		rec = append(rec, e.name...)
		if len(e.name)%2 == 1 {
			rec = append(rec, 0)
		}
		b = append(b, rec...)
	}
	return b
}
