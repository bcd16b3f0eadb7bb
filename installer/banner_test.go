package installer

import (
	"errors"
	"strings"
	"testing"

	"github.com/kubexm/kubexm/internal/config"
	"github.com/kubexm/kubexm/internal/golden"
)

func TestBanner(t *testing.T) {
	c, err := config.Parse(config.Example(), "example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	seed := SeedAddress{Interface: "eth0", Addresses: []string{"10.0.0.5/24"}}
	if err := WriteBanner(&b, "v1.2.3", c, seed, "/run/kubexm/installer.log"); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "banner.golden", []byte(b.String()))

	first, _, _ := strings.Cut(b.String(), "\n")
	if first != "kubexm installer: v1.2.3, cluster demo" {
		t.Errorf("first line %q breaks the console contract of doc.go", first)
	}
	for _, h := range c.Spec.Hosts {
		if h.Password != "" && strings.Contains(b.String(), h.Password) {
			t.Errorf("the banner shows the password of %s", h.Name)
		}
	}
}

func TestFixedLines(t *testing.T) {
	if SuccessLine != "kubexm installer: preflight passed" {
		t.Errorf("SuccessLine %q breaks the console contract of doc.go", SuccessLine)
	}
	got := FailureLine(errors.New("no medium labelled KUBEXM"), "/run/kubexm/installer.log")
	want := "kubexm installer: failed: no medium labelled KUBEXM; log: /run/kubexm/installer.log"
	if got != want {
		t.Errorf("FailureLine = %q, want %q", got, want)
	}
	if s := (SeedAddress{Interface: "ens3", DHCP: true}).String(); s != "no address yet on ens3 (DHCP)" {
		t.Errorf("SeedAddress = %q", s)
	}
}
