package vm

import (
	"bytes"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// member is one end of the switch, as QEMU's dgram netdev would be.
type member struct {
	conn *net.UnixConn
	mac  []byte
}

func join(t *testing.T, n *Network, name string, mac byte) member {
	local, remote := n.port(name)
	conn, err := net.DialUnix("unixgram", &net.UnixAddr{Name: local, Net: "unixgram"},
		&net.UnixAddr{Name: remote, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return member{conn: conn, mac: []byte{0x52, 0x54, 0, 0, 0, mac}}
}

func (m member) send(t *testing.T, dst []byte, payload string) {
	frame := append(append(append([]byte{}, dst...), m.mac...), 0x08, 0x00)
	if _, err := m.conn.Write(append(frame, payload...)); err != nil {
		t.Fatal(err)
	}
}

// recv returns the payload of the next frame, or "" after a short wait.
func (m member) recv(t *testing.T) string {
	buf := make([]byte, 2048)
	m.conn.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	n, err := m.conn.Read(buf)
	if err != nil {
		return ""
	}
	return string(buf[14:n])
}

func TestNetworkSwitch(t *testing.T) {
	n := NewNetwork(t, netip.MustParsePrefix("10.77.0.0/24"))
	a, b, c := join(t, n, "a", 1), join(t, n, "b", 2), join(t, n, "c", 3)
	broadcast := bytes.Repeat([]byte{0xff}, 6)

	// A broadcast from a floods b and c, and teaches the switch a's MAC.
	a.send(t, broadcast, "who-has")
	if b.recv(t) != "who-has" || c.recv(t) != "who-has" {
		t.Fatal("broadcast from a did not reach b and c")
	}

	// b's reply to a goes to a only.
	b.send(t, a.mac, "is-at")
	if got := a.recv(t); got != "is-at" {
		t.Fatalf("a got %q, want is-at", got)
	}
	if got := c.recv(t); got != "" {
		t.Fatalf("c got %q, a frame for a", got)
	}

	// A socket that never joined is ignored.
	stranger, err := net.DialUnix("unixgram",
		&net.UnixAddr{Name: filepath.Join(n.dir, "stranger"), Net: "unixgram"},
		&net.UnixAddr{Name: filepath.Join(n.dir, "switch"), Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer stranger.Close()
	stranger.Write(append(append(append([]byte{}, broadcast...), 9, 9, 9, 9, 9, 9, 8, 0), "x"...))
	if got := a.recv(t); got != "" {
		t.Fatalf("a got %q from a socket that never joined", got)
	}
}

func TestNextAddress(t *testing.T) {
	n := NewNetwork(t, netip.MustParsePrefix("10.77.0.0/24"))
	for _, want := range []string{"10.77.0.10/24", "10.77.0.11/24"} {
		if got := n.NextAddress().String(); got != want {
			t.Errorf("NextAddress = %s, want %s", got, want)
		}
	}
	if _, err := os.Stat(filepath.Join(n.dir, "switch")); err != nil {
		t.Errorf("switch socket: %v", err)
	}
}
