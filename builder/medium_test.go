package builder_test

import (
	"testing"

	"github.com/kubexm/kubexm/builder"
	"github.com/kubexm/kubexm/installer"
)

// The builder writes the medium that the installer reads: the two must
// agree on its label and on where the config and the key are.
func TestMediumLayoutIsTheInstallers(t *testing.T) {
	for _, c := range []struct{ what, builder, installer string }{
		{"volume label", builder.MediumLabel, installer.BootLabel},
		{"config file", builder.ConfigName, installer.ConfigName},
		{"embedded key", builder.EmbeddedKey, installer.EmbeddedKeyPath},
	} {
		if c.builder != c.installer {
			t.Errorf("%s: the builder writes %q, the installer reads %q", c.what, c.builder,
				c.installer)
		}
	}
}
