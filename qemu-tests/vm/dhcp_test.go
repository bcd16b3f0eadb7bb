package vm

import (
	"bytes"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"
)

// exchange sends a DHCP message of kind from m, framed as a client without
// an address would (0.0.0.0 to the broadcast address), and returns the
// switch's reply, or nil.
func exchange(t *testing.T, m member, kind dhcpv4.MessageType) *dhcpv4.DHCPv4 {
	t.Helper()
	msg, err := dhcpv4.New(dhcpv4.WithHwAddr(net.HardwareAddr(m.mac)), dhcpv4.WithMessageType(kind))
	if err != nil {
		t.Fatal(err)
	}
	frame := udpFrame(bytes.Repeat([]byte{0xff}, 6), netip.IPv4Unspecified(), msg.ToBytes())
	copy(frame[6:12], m.mac)
	udp := frame[ethHeader+20:]
	udp[0], udp[1], udp[2], udp[3] = 0, dhcpClient, 0, dhcpServer // client port to server port
	if _, err := m.conn.Write(frame); err != nil {
		t.Fatal(err)
	}

	buf := make([]byte, 2048)
	m.conn.SetReadDeadline(time.Now().Add(time.Second))
	n, err := m.conn.Read(buf)
	if err != nil {
		return nil
	}
	reply, err := dhcpv4.FromBytes(dhcpPayload(swapPorts(buf[:n])))
	if err != nil {
		t.Fatalf("the reply is no DHCP message: %v", err)
	}
	if got := net.HardwareAddr(buf[0:6]); got.String() != net.HardwareAddr(m.mac).String() {
		t.Errorf("the reply went to %s, want %s", got, net.HardwareAddr(m.mac))
	}
	if ipChecksum(buf[ethHeader:ethHeader+20]) != 0 {
		t.Error("the reply's IPv4 header checksum is wrong")
	}
	return reply
}

// swapPorts turns a reply (server port to client port) around, so that
// dhcpPayload, which reads frames to the server, takes its payload.
func swapPorts(frame []byte) []byte {
	f := append([]byte(nil), frame...)
	udp := f[ethHeader+20:]
	udp[0], udp[1], udp[2], udp[3] = udp[2], udp[3], udp[0], udp[1]
	return f
}

func TestDHCP(t *testing.T) {
	n := NewNetwork(t, netip.MustParsePrefix("10.77.0.0/24"))
	a, b := join(t, n, "a", 1), join(t, n, "b", 2)

	// Off until ServeDHCP: a discover gets no answer (b sees the broadcast).
	if r := exchange(t, a, dhcpv4.MessageTypeDiscover); r != nil {
		t.Fatalf("a network without DHCP answered: %s", r.Summary())
	}

	n.ServeDHCP()
	offer := exchange(t, a, dhcpv4.MessageTypeDiscover)
	if offer == nil || offer.MessageType() != dhcpv4.MessageTypeOffer {
		t.Fatalf("discover: got %v, want an offer", offer)
	}
	want := netip.MustParsePrefix("10.77.0.10/24")
	if got := offer.YourIPAddr.String(); got != want.Addr().String() {
		t.Errorf("offered %s, want %s, the first free address", got, want.Addr())
	}
	if !bytes.Equal(offer.SubnetMask(), net.CIDRMask(24, 32)) ||
		offer.ServerIdentifier().String() != "10.77.0.1" {
		t.Errorf("offer: mask %v, server %v; want /24 from 10.77.0.1", offer.SubnetMask(),
			offer.ServerIdentifier())
	}
	ack := exchange(t, a, dhcpv4.MessageTypeRequest)
	if ack == nil || ack.MessageType() != dhcpv4.MessageTypeAck || !ack.YourIPAddr.Equal(offer.YourIPAddr) {
		t.Fatalf("request: got %v, want an ack of the offered address", ack)
	}
	if got, ok := n.Lease(net.HardwareAddr(a.mac)); !ok || got != want {
		t.Errorf("Lease(a) = %v, %v; want %v", got, ok, want)
	}

	// Another client gets another address; NextAddress skips both.
	drain(t, b) // a's broadcasts
	if o := exchange(t, b, dhcpv4.MessageTypeDiscover); o == nil || o.YourIPAddr.String() != "10.77.0.11" {
		t.Errorf("b was offered %v, want 10.77.0.11", o)
	}
	if next := n.NextAddress(); next.String() != "10.77.0.12/24" {
		t.Errorf("NextAddress after two leases = %s, want 10.77.0.12/24", next)
	}
}

// drain reads the frames waiting for m.
func drain(t *testing.T, m member) {
	t.Helper()
	for {
		if m.recv(t) == "" {
			return
		}
	}
}
