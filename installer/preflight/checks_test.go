package preflight

import (
	"context"
	"net"
	"os"
	"strings"
	"testing"

	"github.com/kubexm/kubexm/internal/engine"
	"github.com/kubexm/kubexm/internal/host"
)

func TestFactChecks(t *testing.T) {
	debian := host.Facts{OSID: "debian", OSVersion: "12", Arch: "amd64", InitSystem: "systemd",
		CPUs: 2, MemoryBytes: 1900 * mib}
	tests := []struct {
		name    string
		check   func(context.Context, host.Facts, Target) (Verdict, string)
		facts   func(f host.Facts) host.Facts
		target  Target
		want    Verdict
		wantSub string
	}{
		{name: "debian 12 supported", check: adapt(checkOS), want: Pass, wantSub: "debian 12"},
		{name: "debian 10 refused", check: adapt(checkOS),
			facts: func(f host.Facts) host.Facts { f.OSVersion = "10"; return f },
			want:  Fail, wantSub: "debian 10 is not supported (supported debian releases: 11, 12, 13)"},
		{name: "rocky refused", check: adapt(checkOS),
			facts: func(f host.Facts) host.Facts { f.OSID, f.OSVersion = "rocky", "9"; return f },
			want:  Fail, wantSub: "rocky 9 is not supported (supported: debian 11/12/13, ubuntu"},
		{name: "arch as declared", check: adapt(checkArch), target: Target{Arch: "amd64"},
			want: Pass},
		{name: "arch defaults to amd64", check: adapt(checkArch), want: Pass},
		{name: "arch mismatch", check: adapt(checkArch), target: Target{Arch: "arm64"},
			want: Fail, wantSub: "host is amd64 but the config declares arch arm64"},
		{name: "no systemd", check: adapt(checkInit),
			facts: func(f host.Facts) host.Facts { f.InitSystem = "sysvinit"; return f },
			want:  Fail, wantSub: `init system is "sysvinit"`},
		{name: "control plane fits", check: adapt(checkResources),
			target: Target{Roles: []string{RoleControlPlane, RoleEtcd}}, want: Pass,
			wantSub: "2 CPUs, 1900 MiB"},
		{name: "control plane needs two CPUs", check: adapt(checkResources),
			facts:  func(f host.Facts) host.Facts { f.CPUs = 1; return f },
			target: Target{Roles: []string{RoleWorker, RoleControlPlane}}, want: Fail,
			wantSub: "1 CPUs, 1900 MiB; the roles worker, controlPlane need 2 CPUs and 1700 MiB"},
		{name: "worker fits one CPU", check: adapt(checkResources),
			facts:  func(f host.Facts) host.Facts { f.CPUs = 1; return f },
			target: Target{Roles: []string{RoleWorker}}, want: Pass},
		{name: "swap off", check: adapt((&checker{}).checkSwap), want: Pass},
		{name: "swap on fails", check: adapt((&checker{}).checkSwap),
			facts: func(f host.Facts) host.Facts { f.SwapBytes = 512 * mib; return f },
			want:  Fail, wantSub: "on (512 MiB); the kubelet refuses to run with swap"},
		{name: "swap on warns when the install turns it off",
			check: adapt((&checker{opts: Options{SwapWillBeOff: true}}).checkSwap),
			facts: func(f host.Facts) host.Facts { f.SwapBytes = 512 * mib; return f },
			want:  Warn, wantSub: "the install turns it off"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := debian
			if tt.facts != nil {
				f = tt.facts(f)
			}
			got, detail := tt.check(context.Background(), f, tt.target)
			if got != tt.want || !strings.Contains(detail, tt.wantSub) {
				t.Errorf("got %s %q, want %s containing %q", got, detail, tt.want, tt.wantSub)
			}
		})
	}
}

// adapt calls a check that does not touch the host.
func adapt(fn func(context.Context, *engine.Runtime, Target, host.Facts) (Verdict, string)) func(
	context.Context, host.Facts, Target) (Verdict, string) {
	return func(ctx context.Context, f host.Facts, t Target) (Verdict, string) {
		return fn(ctx, nil, t, f)
	}
}

func TestListeningPortsFromTheKernelTable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port

	table, err := os.ReadFile("/proc/net/tcp")
	if err != nil {
		t.Fatal(err)
	}
	if !listeningPorts(table)[port] {
		t.Errorf("port %d, listened on by this test, not found in /proc/net/tcp", port)
	}

	// A connected socket (state 01) on a port is not a listener.
	sample := "  sl  local_address rem_address   st\n" +
		"   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000\n" +
		"   1: 0100007F:2382 0100007F:9C40 01 00000000:00000000\n"
	got := listeningPorts([]byte(sample))
	if !got[8080] || got[9090] || len(got) != 1 {
		t.Errorf("listeningPorts(sample) = %v, want only 8080", got)
	}
}
