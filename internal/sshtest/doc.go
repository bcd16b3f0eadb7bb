// Package sshtest runs real OpenSSH servers on 127.0.0.1 for tests, so that
// host access is tested against the sshd that target hosts run, not a mock.
//
// Each Server listens on a free loopback port and hands every connection to
// a fresh `sshd -i` (inetd mode) with its own config, host key and
// authorized_keys in a temporary directory. That needs no port juggling and
// no daemon per server, so tests may start dozens of servers, and a test can
// cut a connection by killing the sshd that serves it.
package sshtest
