// Package config reads and checks kubexm's cluster config: a YAML file of
// kind Cluster that lists the hosts to reach over SSH, the roles they play,
// and what to install on them.
//
// Load and Parse read the file strictly (an unknown field is an error with
// its line), fill what it leaves out from the embedded default profile (see
// package profiles), and validate the result, reporting every problem at
// once as ValidationErrors. The pipelines then read hosts and roles through
// HostsInRole and Roles, blank out Secrets in their logs, and record Hash to
// know on resume whether the config changed.
//
// Example returns a commented config to start from, and Schema a JSON Schema
// of the format for editors.
package config
