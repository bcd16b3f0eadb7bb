package preflight

import (
	"bufio"
	"bytes"
	"strconv"
	"strings"
)

// listeningPorts returns the TCP ports in LISTEN state in the content of
// /proc/net/tcp or /proc/net/tcp6. Reading the kernel's table needs no tool
// on the host (ss and netstat are not on every minimal image).
func listeningPorts(table []byte) map[int]bool {
	const listen = "0A" // TCP_LISTEN in include/net/tcp_states.h
	ports := map[int]bool{}
	sc := bufio.NewScanner(bytes.NewReader(table))
	for sc.Scan() {
		// sl local_address rem_address st ...; local_address is ADDR:PORT in hex.
		f := strings.Fields(sc.Text())
		if len(f) < 4 || f[3] != listen {
			continue
		}
		i := strings.LastIndexByte(f[1], ':')
		if i < 0 {
			continue
		}
		if p, err := strconv.ParseUint(f[1][i+1:], 16, 16); err == nil {
			ports[int(p)] = true
		}
	}
	return ports
}
