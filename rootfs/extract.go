package rootfs

import (
	"errors"
	"fmt"
	"io"

	"github.com/kubexm/kubexm/internal/atomicfile"
)

// Available reports whether this program was built with its base archive
// (make rootfs), without which no initramfs can be assembled.
func Available() bool {
	_, err := Base()
	return err == nil
}

// errFound ends a walk of a package once the file is out.
var errFound = errors.New("found")

// ExtractFile writes the file at name (a path in the package, such as
// usr/lib/ISOLINUX/isolinux.bin) of the .deb at debPath to dst, under a
// temporary name renamed when complete. The boot loaders come out of their
// packages this way.
func ExtractFile(debPath, name string, dst string) error {
	err := walkDeb(debPath, func(f debFile) error {
		if f.Name != name {
			return nil
		}
		if err := atomicfile.From(dst, 0o644, func(w io.Writer) error {
			_, err := io.Copy(w, f.Body)
			return err
		}); err != nil {
			return err
		}
		return errFound
	})
	switch {
	case errors.Is(err, errFound):
		return nil
	case err != nil:
		return err
	}
	return fmt.Errorf("%s holds no file %s", debPath, name)
}
