package preflight

import (
	"context"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kubexm/kubexm/internal/engine"
	"github.com/kubexm/kubexm/internal/host"
)

// supportedOS lists the releases kubexm installs on: os-release ID, then
// VERSION_ID values.
var supportedOS = map[string][]string{
	"debian": {"11", "12", "13"},
	"ubuntu": {"20.04", "22.04", "24.04"},
}

// minimum is what a role needs of a host.
type minimum struct {
	cpus int
	mem  uint64 // bytes of MemTotal
}

const mib = 1 << 20

// minimums per role. The control plane's are kubeadm's own preflight
// thresholds (2 CPUs, 1700 MB); the others keep room for the kubelet, the
// container runtime and the role's one workload.
var minimums = map[string]minimum{
	RoleControlPlane: {cpus: 2, mem: 1700 * mib},
	RoleEtcd:         {cpus: 1, mem: 1024 * mib},
	RoleWorker:       {cpus: 1, mem: 1024 * mib},
	RoleRegistry:     {cpus: 1, mem: 512 * mib},
}

func (c *checker) hostChecks() []hostCheck {
	return []hostCheck{
		{"os supported", checkOS},
		{"arch", checkArch},
		{"init system", checkInit},
		{"cgroup v2", checkCgroup},
		{"cpu and memory", checkResources},
		{"swap", c.checkSwap},
		{"ports free", c.checkPorts},
		{"sudo", checkSudo},
		{"clock", checkClock},
	}
}

func checkOS(_ context.Context, _ *engine.Runtime, _ Target, f host.Facts) (Verdict, string) {
	versions, ok := supportedOS[f.OSID]
	if !ok {
		return Fail, fmt.Sprintf("%s %s is not supported (supported: %s)", f.OSID, f.OSVersion,
			supportedList())
	}
	if !slices.Contains(versions, f.OSVersion) {
		return Fail, fmt.Sprintf("%s %s is not supported (supported %s releases: %s)", f.OSID,
			f.OSVersion, f.OSID, strings.Join(versions, ", "))
	}
	return Pass, f.OSID + " " + f.OSVersion
}

func supportedList() string {
	var out []string
	for _, id := range slices.Sorted(maps.Keys(supportedOS)) {
		out = append(out, id+" "+strings.Join(supportedOS[id], "/"))
	}
	return strings.Join(out, ", ")
}

func checkArch(_ context.Context, _ *engine.Runtime, t Target, f host.Facts) (Verdict, string) {
	want := t.Arch
	if want == "" {
		want = "amd64"
	}
	if f.Arch != want {
		return Fail, fmt.Sprintf("host is %s but the config declares arch %s", f.Arch, want)
	}
	return Pass, f.Arch
}

func checkInit(_ context.Context, _ *engine.Runtime, _ Target, f host.Facts) (Verdict, string) {
	if f.InitSystem != "systemd" {
		return Fail, fmt.Sprintf("init system is %q; kubexm runs its services under systemd",
			f.InitSystem)
	}
	return Pass, "systemd"
}

func checkCgroup(ctx context.Context, rt *engine.Runtime, _ Target, _ host.Facts) (Verdict, string) {
	_, err := rt.Host.ReadFile(ctx, "/sys/fs/cgroup/cgroup.controllers")
	if err != nil {
		return Fail, "no unified cgroup hierarchy at /sys/fs/cgroup (boot with " +
			"systemd.unified_cgroup_hierarchy=1): " + err.Error()
	}
	return Pass, "unified hierarchy"
}

func checkResources(_ context.Context, _ *engine.Runtime, t Target, f host.Facts) (Verdict, string) {
	var need minimum
	var why []string
	for _, role := range t.Roles {
		m := minimums[role]
		need.cpus, need.mem = max(need.cpus, m.cpus), max(need.mem, m.mem)
		why = append(why, role)
	}
	have := fmt.Sprintf("%d CPUs, %d MiB", f.CPUs, f.MemoryBytes/mib)
	if f.CPUs < need.cpus || f.MemoryBytes < need.mem {
		return Fail, fmt.Sprintf("%s; the roles %s need %d CPUs and %d MiB", have,
			strings.Join(why, ", "), need.cpus, need.mem/mib)
	}
	return Pass, have
}

func (c *checker) checkSwap(_ context.Context, _ *engine.Runtime, _ Target, f host.Facts) (Verdict, string) {
	if f.SwapBytes == 0 {
		return Pass, "off"
	}
	on := fmt.Sprintf("on (%d MiB)", f.SwapBytes/mib)
	if c.opts.SwapWillBeOff {
		return Warn, on + "; the install turns it off"
	}
	return Fail, on + "; the kubelet refuses to run with swap: turn it off " +
		"(swapoff -a, and remove it from /etc/fstab)"
}

// rolePorts are the TCP ports each role's components listen on.
func (c *checker) rolePorts(role string) []int {
	switch role {
	case RoleControlPlane:
		return []int{c.opts.APIServerPort, 10250, 10257, 10259}
	case RoleWorker:
		return []int{10250}
	case RoleEtcd:
		return []int{2379, 2380}
	case RoleRegistry:
		return []int{c.opts.RegistryPort}
	}
	return nil
}

func (c *checker) checkPorts(ctx context.Context, rt *engine.Runtime, t Target, _ host.Facts) (Verdict, string) {
	var need []int
	for _, role := range t.Roles {
		for _, p := range c.rolePorts(role) {
			if !slices.Contains(need, p) {
				need = append(need, p)
			}
		}
	}
	slices.Sort(need)

	listening := map[int]bool{}
	for _, table := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		data, err := rt.Host.ReadFile(ctx, table)
		if err != nil && table == "/proc/net/tcp" {
			return Fail, "reading " + table + ": " + err.Error()
		}
		maps.Copy(listening, listeningPorts(data))
	}

	var taken []string
	for _, p := range need {
		if listening[p] {
			taken = append(taken, strconv.Itoa(p))
		}
	}
	if len(taken) > 0 {
		return Fail, "port(s) " + strings.Join(taken, ", ") + " already in use"
	}
	return Pass, fmt.Sprintf("%d port(s) free", len(need))
}

func checkSudo(ctx context.Context, rt *engine.Runtime, _ Target, _ host.Facts) (Verdict, string) {
	res, err := rt.Host.Run(ctx, host.Command{Cmd: "id -u", Sudo: true})
	if err != nil {
		return Fail, "cannot run commands as root: " + err.Error()
	}
	if uid := strings.TrimSpace(string(res.Stdout)); uid != "0" {
		return Fail, "sudo ran as uid " + uid + ", not 0"
	}
	return Pass, "runs commands as root"
}

const clockKey = "preflight/clock-offset"

// checkClock samples the host's clock against the control machine's and
// keeps the offset for the comparison across hosts.
func checkClock(ctx context.Context, rt *engine.Runtime, _ Target, _ host.Facts) (Verdict, string) {
	before := time.Now()
	res, err := rt.Host.Run(ctx, host.Command{Cmd: "date +%s.%N"})
	after := time.Now()
	if err != nil {
		return Fail, "reading the clock: " + err.Error()
	}
	secs, err := strconv.ParseFloat(strings.TrimSpace(string(res.Stdout)), 64)
	if err != nil {
		return Fail, fmt.Sprintf("reading the clock: unexpected output %q", res.Stdout)
	}
	remote := time.Unix(0, int64(secs*float64(time.Second)))
	mid := before.Add(after.Sub(before) / 2)
	offset := remote.Sub(mid)
	rt.Shared.Set(rt.Host.Name(), clockKey, offset)
	return Pass, fmt.Sprintf("%+.3fs from the control machine", offset.Seconds())
}

// hostnamesUnique fails every host whose hostname another host shares: the
// kubelet registers nodes by hostname, so the second would take over the
// first's node.
func (c *checker) hostnamesUnique(_ context.Context, rt *engine.Runtime) error {
	seen := map[string][]string{}
	for _, t := range c.opts.Targets {
		if v, ok := rt.Shared.Get(t.Name, factsKey); ok {
			hn := strings.ToLower(v.(host.Facts).Hostname)
			seen[hn] = append(seen[hn], t.Name)
		}
	}
	for hn, hosts := range seen {
		for _, h := range hosts {
			if len(hosts) > 1 {
				c.report.add(Result{Host: h, Check: "hostname unique", Verdict: Fail,
					Detail: fmt.Sprintf("hostname %q is shared by %s", hn,
						strings.Join(hosts, ", "))})
			} else {
				c.report.add(Result{Host: h, Check: "hostname unique", Verdict: Pass, Detail: hn})
			}
		}
	}
	return nil
}

// clocksAgree fails the hosts whose clock is more than the bound away from
// the median of all of them.
func (c *checker) clocksAgree(_ context.Context, rt *engine.Runtime) error {
	offsets := map[string]time.Duration{}
	var all []time.Duration
	for _, t := range c.opts.Targets {
		if v, ok := rt.Shared.Get(t.Name, clockKey); ok {
			offsets[t.Name] = v.(time.Duration)
			all = append(all, v.(time.Duration))
		}
	}
	if len(all) == 0 {
		return nil // no host was reachable; the reachable check says so
	}
	slices.Sort(all)
	median := all[len(all)/2]
	for _, t := range c.opts.Targets {
		o, ok := offsets[t.Name]
		if !ok {
			continue
		}
		d := time.Duration(math.Abs(float64(o - median)))
		res := Result{Host: t.Name, Check: "clock agrees", Verdict: Pass,
			Detail: fmt.Sprintf("%.3fs from the hosts' median", d.Seconds())}
		if d > c.opts.MaxClockSkew {
			res.Verdict = Fail
			res.Detail += fmt.Sprintf(", more than %s: synchronise it (chrony, NTP)",
				c.opts.MaxClockSkew)
		}
		c.report.add(res)
	}
	return nil
}
