package isofs

import (
	"encoding/binary"
	"fmt"
	"io"
)

// El Torito 1.0 layout: the boot record is the volume descriptor in
// sector 17 and points to the catalog, a list of 32-byte entries.
const (
	bootRecordSector  = 17
	bootRecordCatalog = 0x47
	catalogEntrySize  = 32
	platformBIOS      = 0x00
	platformEFI       = 0xef
	entryBootable     = 0x88
	headerMore        = 0x90
	headerLast        = 0x91
)

// bootEntry is one boot image of the catalog: its platform and first
// 2048-byte block.
type bootEntry struct {
	platform byte
	lba      uint32
}

// readCatalog returns the boot entries of the El Torito catalog of r.
func readCatalog(r io.ReaderAt) ([]bootEntry, error) {
	brvd := make([]byte, SectorSize)
	if _, err := r.ReadAt(brvd, bootRecordSector*SectorSize); err != nil {
		return nil, fmt.Errorf("reading the boot record: %w", err)
	}
	if brvd[0] != 0 || string(brvd[1:6]) != "CD001" ||
		string(brvd[7:30]) != "EL TORITO SPECIFICATION" {
		return nil, fmt.Errorf("no El Torito boot record at sector %d", bootRecordSector)
	}
	lba := binary.LittleEndian.Uint32(brvd[bootRecordCatalog:])
	cat := make([]byte, SectorSize)
	if _, err := r.ReadAt(cat, int64(lba)*SectorSize); err != nil {
		return nil, fmt.Errorf("reading the boot catalog at block %d: %w", lba, err)
	}
	return parseCatalog(cat)
}

// parseCatalog reads the validation entry, the default entry, and the
// section headers with their entries, up to the last header.
func parseCatalog(cat []byte) ([]bootEntry, error) {
	if cat[0] != 1 || cat[30] != 0x55 || cat[31] != 0xaa {
		return nil, fmt.Errorf("the boot catalog has no validation entry")
	}
	platform := cat[1]
	entries := []bootEntry{{platform, binary.LittleEndian.Uint32(cat[catalogEntrySize+8:])}}
	for pos := 2 * catalogEntrySize; pos+catalogEntrySize <= len(cat); {
		h := cat[pos:]
		if h[0] != headerMore && h[0] != headerLast {
			break
		}
		platform = h[1]
		n := int(binary.LittleEndian.Uint16(h[2:]))
		pos += catalogEntrySize
		for ; n > 0 && pos+catalogEntrySize <= len(cat); n-- {
			if cat[pos] == entryBootable {
				lba := binary.LittleEndian.Uint32(cat[pos+8:])
				entries = append(entries, bootEntry{platform, lba})
			}
			pos += catalogEntrySize
		}
		if h[0] == headerLast {
			break
		}
	}
	return entries, nil
}
