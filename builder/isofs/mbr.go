package isofs

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"io"
	"os"
)

// Offsets of the MBR that doc.go describes.
const (
	mbrCodeSize    = 432 // isohybrid boot code
	mbrLoaderLBA   = 432 // 64-bit LBA of isolinux.bin, in 512-byte sectors
	mbrSignature   = 440 // 32-bit disk signature
	mbrPartitions  = 446 // four 16-byte entries
	mbrSize        = 512
	diskSector     = 512 // sector of a disk, which MBR numbers count
	sectorsPerHead = 32  // the CHS geometry isohybrid and xorriso assume
	headsPerCyl    = 64
	maxCylinders   = 1024
	typeEmpty      = 0x00
	typeEFI        = 0xef
	statusBootable = 0x80
)

// chsNone is the CHS address xorriso gives the EFI partition: "past the
// end", telling firmware to use the LBA fields.
var chsNone = [3]byte{0xfe, 0xff, 0xff}

// hybridLayout is what the MBR of a hybrid image says, in 512-byte sectors.
type hybridLayout struct {
	loader     uint64 // isolinux.bin's first sector; 0 if there is none
	espStart   uint32 // the EFI image's first sector; 0 if there is none
	espSectors uint32
	sectors    uint32 // the whole image
	signature  uint32
}

// hybridMBR returns the MBR of an image laid out as l, with code (432
// bytes, or nil for none) first.
func hybridMBR(code []byte, l hybridLayout) []byte {
	b := make([]byte, mbrSize)
	copy(b, code)
	binary.LittleEndian.PutUint64(b[mbrLoaderLBA:], l.loader)
	binary.LittleEndian.PutUint32(b[mbrSignature:], l.signature)

	g := geometryFor(l.sectors)
	whole := b[mbrPartitions:]
	whole[0] = statusBootable
	copy(whole[1:], g.chs(0))
	whole[4] = typeEmpty
	copy(whole[5:], g.chs(l.sectors-1))
	binary.LittleEndian.PutUint32(whole[12:], l.sectors)

	if l.espSectors > 0 {
		esp := b[mbrPartitions+16:]
		copy(esp[1:], chsNone[:])
		esp[4] = typeEFI
		copy(esp[5:], chsNone[:])
		binary.LittleEndian.PutUint32(esp[8:], l.espStart)
		binary.LittleEndian.PutUint32(esp[12:], l.espSectors)
	}
	b[510], b[511] = 0x55, 0xaa
	return b
}

// geometry is a disk's cylinder-head-sector shape.
type geometry struct{ heads, sectors uint32 }

// geometryFor returns xorriso's geometry for an image of n sectors: 64
// heads of 32 sectors, or more heads (up to 255) when that would need
// more than 1024 cylinders, so the last sector stays addressable.
func geometryFor(n uint32) geometry {
	g := geometry{headsPerCyl, sectorsPerHead}
	if perCyl := uint32(maxCylinders * sectorsPerHead); n > maxCylinders*headsPerCyl*sectorsPerHead {
		g.heads = min((n+perCyl-1)/perCyl, 255)
	}
	return g
}

// chs encodes sector lba as MBR CHS bytes (head; sector and the top bits
// of the cylinder; the cylinder's low byte), the last cylinder when it is
// beyond reach.
func (g geometry) chs(lba uint32) []byte {
	cyl := lba / (g.heads * g.sectors)
	head := lba / g.sectors % g.heads
	sec := lba%g.sectors + 1
	if cyl >= maxCylinders {
		cyl, head, sec = maxCylinders-1, g.heads-1, g.sectors
	}
	return []byte{byte(head), byte(sec) | byte(cyl>>8)<<6, byte(cyl)}
}

// writeSystemArea writes the hybrid MBR into the first sector of the
// finished image f of blocks 2048-byte blocks, when o asks for one.
// The boot files' places come from the image's own boot catalog.
func writeSystemArea(f *os.File, o Options, blocks int64, sizes [2]int64) error {
	var code []byte
	if o.BIOS != nil {
		code = o.BIOS.MBRCode
	}
	if code == nil && o.EFI == nil {
		return nil
	}
	if blocks*SectorSize/diskSector > 1<<32-1 {
		return fmt.Errorf("the image is %d blocks, more than an MBR can address", blocks)
	}
	entries, err := readCatalog(f)
	if err != nil {
		return err
	}

	l := hybridLayout{sectors: uint32(blocks * SectorSize / diskSector),
		signature: diskSignature(o)}
	for _, e := range entries {
		switch {
		case e.platform == platformBIOS && o.BIOS != nil:
			l.loader = uint64(e.lba) * SectorSize / diskSector
		case e.platform == platformEFI && o.EFI != nil:
			l.espStart = e.lba * SectorSize / diskSector
			l.espSectors = uint32((sizes[1] + diskSector - 1) / diskSector)
		}
	}
	_, err = f.WriteAt(hybridMBR(code, l), 0)
	return err
}

// diskSignature derives the MBR's disk signature from the label and the
// time, so that it is fixed for one build yet differs between builds.
func diskSignature(o Options) uint32 {
	h := fnv.New32a()
	io.WriteString(h, o.Label)
	io.WriteString(h, o.Time.UTC().Format("20060102150405.000000000"))
	return h.Sum32()
}
