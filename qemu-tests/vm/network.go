package vm

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// DefaultPrefix is the private network StartN puts its VMs on. It stays
// clear of QEMU's user-mode network (10.0.2.0/24) and of the pod and
// service ranges Kubernetes installs default to (10.244.0.0/16,
// 192.168.0.0/16, 10.96.0.0/12).
var DefaultPrefix = netip.MustParsePrefix("10.77.0.0/24")

// Network is a private L2 segment shared by VMs: an Ethernet switch that
// runs in the test process.
//
// Each VM's NIC is a QEMU "dgram" netdev on a Unix datagram socket that
// sends every frame to the switch's socket, which forwards it by MAC
// address. Unix sockets were chosen over the alternatives because no frame
// ever becomes IP traffic of the test machine: socket,mcast would put
// frames on the host's multicast route, and socket,listen/connect only
// joins two VMs. A switch in Go joins any number and needs no
// privileges, no bridge and no network namespace.
type Network struct {
	// Prefix is the network's address range.
	Prefix netip.Prefix

	dir  string
	conn *net.UnixConn
	next netip.Addr

	mu      sync.Mutex
	members map[string]bool         // socket paths of the VMs' NICs
	macs    map[string]string       // MAC address -> socket path
	leases  map[string]netip.Prefix // MAC -> DHCP lease; nil: no DHCP (dhcp.go)
}

// NewNetwork starts a switch for the private network prefix and stops it
// when the test ends.
func NewNetwork(t testing.TB, prefix netip.Prefix) *Network {
	t.Helper()

	n, err := newNetwork(prefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.close)
	return n
}

func newNetwork(prefix netip.Prefix) (*Network, error) {
	// Socket paths must fit in 108 bytes, so they live under a short
	// temporary directory rather than the test's.
	dir, err := os.MkdirTemp("", "kubexm-net-")
	if err != nil {
		return nil, fmt.Errorf("creating the network's socket directory: %w", err)
	}

	addr := &net.UnixAddr{Name: filepath.Join(dir, "switch"), Net: "unixgram"}
	conn, err := net.ListenUnixgram("unixgram", addr)
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("opening the switch socket %s: %w", addr.Name, err)
	}

	n := &Network{
		Prefix:  prefix.Masked(),
		dir:     dir,
		conn:    conn,
		next:    prefix.Masked().Addr().Next().Next(), // .0 is the network, .1 kept
		members: map[string]bool{},
		macs:    map[string]string{},
	}
	go n.forward()
	return n, nil
}

// NextAddress returns an unused address of the network, with its prefix
// length: .10 and up, in order.
func (n *Network) NextAddress() netip.Prefix {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.nextAddress()
}

// nextAddress is NextAddress with n.mu held.
func (n *Network) nextAddress() netip.Prefix {
	for n.next.As4()[3] < 10 {
		n.next = n.next.Next()
	}
	a := n.next
	n.next = a.Next()
	return netip.PrefixFrom(a, n.Prefix.Bits())
}

// port adds a member and returns the socket path its NIC sends from and
// the switch's socket path it sends to.
func (n *Network) port(name string) (local, remote string) {
	n.mu.Lock()
	defer n.mu.Unlock()

	local = filepath.Join(n.dir, name)
	n.members[local] = true
	return local, filepath.Join(n.dir, "switch")
}

// forward moves frames between members until the switch is closed. It
// learns where each source MAC lives; a frame to a known MAC goes to that
// member only, any other (broadcast, multicast, unknown) to all the others.
func (n *Network) forward() {
	buf := make([]byte, 65536)
	for {
		size, from, err := n.conn.ReadFromUnix(buf)
		if errors.Is(err, net.ErrClosed) {
			return
		}
		if err != nil || from == nil || size < 14 {
			continue
		}

		if !n.isMember(from.Name) {
			continue
		}
		if reply := n.dhcpReply(buf[:size]); reply != nil {
			_, _ = n.conn.WriteToUnix(reply, from)
		}
		for _, to := range n.route(buf[:size], from.Name) {
			// A member that is not up yet simply misses the frame, as a
			// cable plugged in late would.
			_, _ = n.conn.WriteToUnix(buf[:size], &net.UnixAddr{Name: to, Net: "unixgram"})
		}
	}
}

func (n *Network) isMember(name string) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.members[name]
}

// route learns the frame's source and returns the members it goes to.
func (n *Network) route(frame []byte, from string) []string {
	n.mu.Lock()
	defer n.mu.Unlock()

	if !n.members[from] {
		return nil
	}
	// Indexing with the conversion itself spares a string allocation.
	n.macs[string(frame[6:12])] = from

	if to, ok := n.macs[string(frame[0:6])]; ok && frame[0]&1 == 0 {
		if to == from {
			return nil
		}
		return []string{to}
	}

	var all []string
	for m := range n.members {
		if m != from {
			all = append(all, m)
		}
	}
	return all
}

// close stops the switch and removes its sockets.
func (n *Network) close() {
	n.conn.Close()
	os.RemoveAll(n.dir)
}
