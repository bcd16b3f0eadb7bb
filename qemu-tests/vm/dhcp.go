package vm

import (
	"encoding/binary"
	"net"
	"net/netip"

	"github.com/insomniacslk/dhcp/dhcpv4"
)

// A Network can answer DHCP, as the site network a seed node boots on
// would: ServeDHCP turns it on. The switch itself is the server, at the
// network's .1 (which NextAddress never hands out), and leases each MAC
// address the next free address for as long as the test runs. It speaks
// just enough DHCPv4 for a client to get an address (offer, ack); there is
// no router or DNS option, since the network has neither.

// switchMAC is the source of the server's frames: locally administered,
// outside QEMU's 52:54:00 range.
var switchMAC = net.HardwareAddr{0x02, 0x6b, 0x78, 0x00, 0x00, 0x01}

// dhcpLeaseSeconds is long enough that no client renews during a test.
const dhcpLeaseSeconds = 3600

// ServeDHCP makes the switch answer DHCP requests from the network's VMs.
func (n *Network) ServeDHCP() {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.leases = map[string]netip.Prefix{}
}

// Lease returns the address the switch leased to mac, if any.
func (n *Network) Lease(mac net.HardwareAddr) (netip.Prefix, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	p, ok := n.leases[mac.String()]
	return p, ok
}

// serverAddr is the switch's own address on the network.
func (n *Network) serverAddr() netip.Addr { return n.Prefix.Addr().Next() }

// dhcpReply returns the frame that answers frame, or nil when frame is no
// DHCP request, DHCP is off, or the request is one the server ignores.
func (n *Network) dhcpReply(frame []byte) []byte {
	n.mu.Lock()
	on := n.leases != nil
	n.mu.Unlock()
	payload := dhcpPayload(frame)
	if !on || payload == nil {
		return nil
	}
	req, err := dhcpv4.FromBytes(payload)
	if err != nil || req.OpCode != dhcpv4.OpcodeBootRequest {
		return nil
	}

	var kind dhcpv4.MessageType
	switch req.MessageType() {
	case dhcpv4.MessageTypeDiscover:
		kind = dhcpv4.MessageTypeOffer
	case dhcpv4.MessageTypeRequest:
		kind = dhcpv4.MessageTypeAck
	default:
		return nil
	}
	lease := n.lease(req.ClientHWAddr)
	server := net.IP(n.serverAddr().AsSlice())
	reply, err := dhcpv4.NewReplyFromRequest(req,
		dhcpv4.WithMessageType(kind),
		dhcpv4.WithYourIP(net.IP(lease.Addr().AsSlice())),
		dhcpv4.WithServerIP(server),
		dhcpv4.WithOption(dhcpv4.OptServerIdentifier(server)),
		dhcpv4.WithNetmask(net.CIDRMask(lease.Bits(), 32)),
		dhcpv4.WithLeaseTime(dhcpLeaseSeconds))
	if err != nil {
		return nil
	}
	return udpFrame(req.ClientHWAddr, n.serverAddr(), reply.ToBytes())
}

// lease returns mac's address, leasing it the next free one first.
func (n *Network) lease(mac net.HardwareAddr) netip.Prefix {
	n.mu.Lock()
	defer n.mu.Unlock()
	p, ok := n.leases[mac.String()]
	if !ok {
		p = n.nextAddress()
		n.leases[mac.String()] = p
	}
	return p
}

// Offsets of Ethernet II, IPv4 and UDP headers.
const (
	ethHeader    = 14
	etherTypeIP4 = 0x0800
	protoUDP     = 17
	udpHeader    = 8
	dhcpServer   = 67
	dhcpClient   = 68
)

// dhcpPayload is the UDP payload of an IPv4 frame to the DHCP server
// port, or nil.
func dhcpPayload(frame []byte) []byte {
	if len(frame) < ethHeader+20+udpHeader ||
		binary.BigEndian.Uint16(frame[12:]) != etherTypeIP4 {
		return nil
	}
	ip := frame[ethHeader:]
	ihl := int(ip[0]&0x0f) * 4
	if ip[0]>>4 != 4 || ihl < 20 || ip[9] != protoUDP || len(ip) < ihl+udpHeader {
		return nil
	}
	udp := ip[ihl:]
	if binary.BigEndian.Uint16(udp[2:]) != dhcpServer {
		return nil
	}
	end := int(binary.BigEndian.Uint16(udp[4:]))
	if end < udpHeader || end > len(udp) {
		return nil
	}
	return udp[udpHeader:end]
}

// udpFrame wraps a DHCP reply from src in UDP, IPv4 (to the broadcast
// address: the client has no address yet) and Ethernet to dst.
func udpFrame(dst net.HardwareAddr, src netip.Addr, payload []byte) []byte {
	f := make([]byte, ethHeader+20+udpHeader+len(payload))
	copy(f[0:6], dst)
	copy(f[6:12], switchMAC)
	binary.BigEndian.PutUint16(f[12:], etherTypeIP4)

	ip := f[ethHeader:]
	ip[0], ip[8], ip[9] = 0x45, 64, protoUDP // version 4, 20 bytes; TTL; UDP
	binary.BigEndian.PutUint16(ip[2:], uint16(20+udpHeader+len(payload)))
	copy(ip[12:16], src.AsSlice())
	copy(ip[16:20], net.IPv4bcast.To4())
	binary.BigEndian.PutUint16(ip[10:], ipChecksum(ip[:20]))

	udp := ip[20:]
	binary.BigEndian.PutUint16(udp[0:], dhcpServer)
	binary.BigEndian.PutUint16(udp[2:], dhcpClient)
	binary.BigEndian.PutUint16(udp[4:], uint16(udpHeader+len(payload)))
	// A zero UDP checksum means none, which IPv4 allows.
	copy(udp[udpHeader:], payload)
	return f
}

// ipChecksum is the one's-complement sum of an IPv4 header.
func ipChecksum(h []byte) uint16 {
	var sum uint32
	for i := 0; i+1 < len(h); i += 2 {
		sum += uint32(binary.BigEndian.Uint16(h[i:]))
	}
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	return ^uint16(sum)
}
