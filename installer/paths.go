package installer

import "path/filepath"

// Labels of the media the installer looks for.
const (
	// BootLabel is the ISO 9660 volume label of the kubexm ISO. The kernel
	// command line may name another with kubexm.label=LABEL.
	BootLabel = "KUBEXM"
	// KeysLabel is the label of an optional second medium (ISO 9660 or FAT,
	// a USB stick) that holds SSH private keys; see KeyFileNames.
	KeysLabel = "KUBEXM-KEYS"
)

// Files on the boot medium, relative to its root.
const (
	// ConfigName is the cluster config the builder writes at the root of
	// the ISO: the config make-tar was run with.
	ConfigName = "kubexm.yaml"
	// EmbeddedKeyPath is the SSH private key make-tar --embed-ssh-key puts
	// on the ISO. Without it the key comes from a KUBEXM-KEYS medium, or the
	// installer asks for a password.
	EmbeddedKeyPath = "kubexm/ssh/id"
)

// HostKeySuffix names a key for one host on a KUBEXM-KEYS medium:
// <host>.key, where <host> is the host's name in the config.
const HostKeySuffix = ".key"

// KeyFileNames are the keys for every host on a KUBEXM-KEYS medium, in the
// order they are tried when a host has no <host>.key.
var KeyFileNames = []string{"id_ed25519", "id_ecdsa", "id_rsa"}

// ModulesFile lists the kernel modules the initramfs carries, one absolute
// .ko path per line in load order, in the format of package rootfs (its
// ModuleOrderFile). It is not imported from there, which would link the
// initramfs builder into the program inside the initramfs.
const ModulesFile = "/etc/kubexm/modules"

// Where the installer keeps its state: a tmpfs in the initramfs, gone at
// power-off, so the derived config with its password never reaches a disk.
const RunDir = "/run/kubexm"

// Paths is where one run of the installer reads and writes. DefaultPaths
// are those of the initramfs; tests point them into a temporary directory.
type Paths struct {
	// Run holds the log, the derived config and the mount points.
	Run string
	// Modules is the module order file.
	Modules string
	// Cmdline is the kernel command line.
	Cmdline string
	// SysBlock lists the block devices, SysNet the network interfaces.
	SysBlock, SysNet string
	// Dev holds the device nodes of the block devices.
	Dev string
}

// DefaultPaths are the paths of the initramfs.
func DefaultPaths() Paths {
	return Paths{
		Run:      RunDir,
		Modules:  ModulesFile,
		Cmdline:  "/proc/cmdline",
		SysBlock: "/sys/class/block",
		SysNet:   "/sys/class/net",
		Dev:      "/dev",
	}
}

// Log is the installer's log file.
func (p Paths) Log() string { return filepath.Join(p.Run, "installer.log") }

// Medium is where the boot medium is mounted.
func (p Paths) Medium() string { return filepath.Join(p.Run, "medium") }

// Keys is where a KUBEXM-KEYS medium is mounted.
func (p Paths) Keys() string { return filepath.Join(p.Run, "keys") }

// DerivedConfig is the config the installer runs kubexm with: the medium's,
// with the hosts' credentials pointed at what the seed found.
func (p Paths) DerivedConfig() string { return filepath.Join(p.Run, "cluster.yaml") }

// KnownHosts is the known_hosts file of the seed's SSH connections.
func (p Paths) KnownHosts() string { return filepath.Join(p.Run, "known_hosts") }

// WorkDir is kubexm's working directory: its run logs.
func (p Paths) WorkDir() string { return filepath.Join(p.Run, "work") }
