package config

// APIVersion and Kind are the only apiVersion and kind a cluster config may
// have. A later format gets a new apiVersion, so an old kubexm refuses it.
const (
	APIVersion = "kubexm.io/v1alpha1"
	Kind       = "Cluster"
)

// Cluster is a cluster config: the hosts kubexm reaches over SSH, the roles
// they play, and what to install on them.
type Cluster struct {
	// APIVersion is the version of this format: kubexm.io/v1alpha1.
	APIVersion string `yaml:"apiVersion" jsonschema:"required,enum=kubexm.io/v1alpha1"`
	// Kind is the kind of object: Cluster.
	Kind string `yaml:"kind" jsonschema:"required,enum=Cluster"`
	// Metadata names the cluster.
	Metadata Metadata `yaml:"metadata" jsonschema:"required"`
	// Spec is the cluster itself.
	Spec Spec `yaml:"spec" jsonschema:"required"`
}

// Metadata identifies a cluster.
type Metadata struct {
	// Name is the cluster's name: a DNS label (lower-case letters, digits
	// and '-'), used in logs, in the bundle and as the default clusterName.
	Name string `yaml:"name" jsonschema:"required"`
}

// Spec describes the cluster to build.
type Spec struct {
	// Hosts are the machines kubexm logs in to, control plane, workers,
	// etcd and registry alike, and any jump hosts between.
	Hosts []Host `yaml:"hosts" jsonschema:"required"`
	// RoleGroups says which hosts play which role, by host name.
	RoleGroups RoleGroups `yaml:"roleGroups" jsonschema:"required"`
	// ControlPlaneEndpoint is where nodes and clients reach the API server.
	ControlPlaneEndpoint ControlPlaneEndpoint `yaml:"controlPlaneEndpoint,omitempty"`
	// Kubernetes sets the version and the cluster-wide settings of Kubernetes.
	Kubernetes Kubernetes `yaml:"kubernetes,omitempty"`
	// Etcd chooses how etcd runs.
	Etcd Etcd `yaml:"etcd,omitempty"`
	// ContainerRuntime sets up the container runtime on every node.
	ContainerRuntime ContainerRuntime `yaml:"containerRuntime,omitempty"`
	// Network chooses the pod network (CNI) plugin.
	Network Network `yaml:"network,omitempty"`
	// DNS sets up cluster DNS.
	DNS DNS `yaml:"dns,omitempty"`
	// Registry is the image registry kubexm runs for the cluster, on one of
	// the hosts. Offline, images are pushed to it from the bundle.
	Registry Registry `yaml:"registry,omitempty"`
	// Addons are extra Helm charts installed once the cluster is up.
	Addons []Addon `yaml:"addons,omitempty"`
	// Artifacts says what make-tar collects into the bundle and where from.
	Artifacts Artifacts `yaml:"artifacts,omitempty"`
	// Seed sets up the seed node, the machine booted from the kubexm ISO
	// that installs the cluster from it. Only the ISO's installer reads it.
	Seed Seed `yaml:"seed,omitempty"`
}

// Host is a machine kubexm reaches over SSH.
type Host struct {
	// Name is the host's name in this config and its Kubernetes node name:
	// lower-case letters, digits, '-' and '.'.
	Name string `yaml:"name" jsonschema:"required"`
	// Address is the IP address or host name kubexm dials over SSH.
	Address string `yaml:"address" jsonschema:"required"`
	// InternalAddress is the address other hosts of the cluster reach this
	// one at. The default is Address.
	InternalAddress string `yaml:"internalAddress,omitempty"`
	// Port is the SSH port. The default is 22.
	Port int `yaml:"port,omitempty" jsonschema:"minimum=1,maximum=65535,default=22"`
	// User is the SSH user. The default is root; another user needs sudo.
	User string `yaml:"user,omitempty" jsonschema:"default=root"`
	// Password is the SSH password, also fed to sudo. Set it or
	// privateKeyPath, or both.
	Password string `yaml:"password,omitempty"`
	// PrivateKeyPath is the path of the SSH private key on the machine that
	// runs kubexm; a leading ~/ stands for that user's home directory.
	PrivateKeyPath string `yaml:"privateKeyPath,omitempty"`
	// PrivateKeyPassphrase decrypts the private key, if it is encrypted.
	PrivateKeyPassphrase string `yaml:"privateKeyPassphrase,omitempty"`
	// Arch is the host's CPU architecture. The default is amd64.
	Arch string `yaml:"arch,omitempty" jsonschema:"enum=amd64,enum=arm64,default=amd64"`
	// HostKeyFingerprint, if set, pins the host's SSH key: SHA256:
	// followed by the unpadded base64 digest, as ssh-keygen -l prints it.
	HostKeyFingerprint string `yaml:"hostKeyFingerprint,omitempty"`
	// JumpHost is the name of another host in hosts to reach this one
	// through (an SSH bastion).
	JumpHost string `yaml:"jumpHost,omitempty"`
}

// RoleGroups lists the hosts of each role by name. A host may have several
// roles.
type RoleGroups struct {
	// Etcd are the etcd members. Left out, they are the control-plane hosts.
	// There must be an odd number of them, so a majority survives a loss.
	Etcd []string `yaml:"etcd,omitempty"`
	// ControlPlane are the hosts that run the API server, the scheduler and
	// the controller manager. At least one.
	ControlPlane []string `yaml:"controlPlane" jsonschema:"required,minItems=1"`
	// Worker are the hosts that run workloads.
	Worker []string `yaml:"worker,omitempty"`
	// Registry are the hosts that may run the image registry.
	Registry []string `yaml:"registry,omitempty"`
}

// ControlPlaneEndpoint is the address of the Kubernetes API.
type ControlPlaneEndpoint struct {
	// Address is the endpoint's IP address: a virtual IP for kubevip, the
	// balancer's address for external. Left out, it is the first
	// control-plane host's internal address.
	Address string `yaml:"address,omitempty"`
	// Domain is a name that resolves to Address on every host; it goes
	// into the API server certificate. The default is lb.kubexm.local.
	Domain string `yaml:"domain,omitempty"`
	// Port is the endpoint's port. The default is 6443.
	Port int `yaml:"port,omitempty" jsonschema:"minimum=1,maximum=65535,default=6443"`
	// LoadBalancer is what spreads requests over the API servers: none,
	// kubevip (a virtual IP moved between control-plane hosts), haproxy (a
	// local proxy on every node), or external (one you run). The default
	// is none.
	LoadBalancer string `yaml:"loadBalancer,omitempty" jsonschema:"enum=none,enum=kubevip,enum=haproxy,enum=external,default=none"`
}

// Kubernetes holds the cluster-wide settings of Kubernetes.
type Kubernetes struct {
	// Version is the Kubernetes release, e.g. v1.37.2. The default is the
	// profile's.
	Version string `yaml:"version,omitempty"`
	// ClusterName is the name kubeadm gives the cluster. The default is
	// metadata.name.
	ClusterName string `yaml:"clusterName,omitempty"`
	// DNSDomain is the cluster's DNS domain. The default is cluster.local.
	DNSDomain string `yaml:"dnsDomain,omitempty"`
	// PodSubnet is the CIDR pods get addresses from. Each node gets a /24
	// of it (a /64 for IPv6), so it must hold one per host. The default is
	// 10.233.64.0/18, room for 64 nodes.
	PodSubnet string `yaml:"podSubnet,omitempty"`
	// ServiceSubnet is the CIDR services get addresses from: at most a /12
	// (a /108 for IPv6), not overlapping podSubnet. The default is
	// 10.233.0.0/18.
	ServiceSubnet string `yaml:"serviceSubnet,omitempty"`
	// KubeProxyMode is kube-proxy's mode. The default is iptables.
	KubeProxyMode string `yaml:"kubeProxyMode,omitempty" jsonschema:"enum=iptables,enum=ipvs,enum=nftables,default=iptables"`
}

// Etcd chooses how etcd runs.
type Etcd struct {
	// Type is kubexm (etcd binaries run by systemd on the etcd hosts),
	// kubeadm (stacked: static pods on the control-plane hosts), or
	// external (a cluster you run). The default is kubexm.
	Type string `yaml:"type,omitempty" jsonschema:"enum=kubexm,enum=kubeadm,enum=external,default=kubexm"`
	// Version is the etcd release for types kubexm and kubeadm. The default
	// is the profile's.
	Version string `yaml:"version,omitempty"`
	// External locates an external etcd cluster; only for type external.
	External *ExternalEtcd `yaml:"external,omitempty"`
}

// ExternalEtcd is an etcd cluster kubexm does not install.
type ExternalEtcd struct {
	// Endpoints are the client URLs of the members, e.g.
	// https://10.0.0.5:2379.
	Endpoints []string `yaml:"endpoints" jsonschema:"required,minItems=1"`
	// CAFile is the path of the CA certificate that signed the members'
	// certificates. Needed for https endpoints.
	CAFile string `yaml:"caFile,omitempty"`
	// CertFile is the path of the client certificate. Needed for https.
	CertFile string `yaml:"certFile,omitempty"`
	// KeyFile is the path of the client certificate's key. Needed for https.
	KeyFile string `yaml:"keyFile,omitempty"`
}

// ContainerRuntime sets up the container runtime.
type ContainerRuntime struct {
	// Type is the runtime; the only one is containerd.
	Type string `yaml:"type,omitempty" jsonschema:"enum=containerd,default=containerd"`
	// Version is the runtime's release. The default is the profile's.
	Version string `yaml:"version,omitempty"`
	// RegistryMirrors maps an upstream registry (docker.io, registry.k8s.io)
	// to the endpoints to pull its images from instead, tried in order.
	RegistryMirrors map[string][]string `yaml:"registryMirrors,omitempty"`
}

// Network chooses the pod network plugin.
type Network struct {
	// Plugin is the CNI plugin: flannel or calico. The default is flannel.
	Plugin string `yaml:"plugin,omitempty" jsonschema:"enum=flannel,enum=calico,default=flannel"`
	// Version is the plugin's release. The default is the profile's.
	Version string `yaml:"version,omitempty"`
	// MTU is the pod network's MTU. Left out, the plugin works it out from
	// the host's interface.
	MTU int `yaml:"mtu,omitempty" jsonschema:"minimum=576,maximum=9216"`
}

// DNS sets up cluster DNS.
type DNS struct {
	// CoreDNS is the cluster's DNS server.
	CoreDNS CoreDNS `yaml:"coredns,omitempty"`
	// NodeLocalDNS is a DNS cache on every node.
	NodeLocalDNS NodeLocalDNS `yaml:"nodeLocalDNS,omitempty"`
}

// CoreDNS is the cluster's DNS server.
type CoreDNS struct {
	// Version is the CoreDNS release. The default is the profile's.
	Version string `yaml:"version,omitempty"`
}

// NodeLocalDNS is a DNS cache on every node, in front of CoreDNS.
type NodeLocalDNS struct {
	// Enabled turns the cache on. The default is true.
	Enabled *bool `yaml:"enabled,omitempty" jsonschema:"default=true"`
	// IP is the link-local address the cache listens on. The default is
	// 169.254.25.10.
	IP string `yaml:"ip,omitempty"`
	// Version is the node-cache release. The default is the profile's.
	Version string `yaml:"version,omitempty"`
}

// On reports whether NodeLocal DNS runs. After defaults it is never unset.
func (n NodeLocalDNS) On() bool { return n.Enabled == nil || *n.Enabled }

// Registry is the image registry kubexm runs on one host.
type Registry struct {
	// Type is the registry's software; the only one is registry (the CNCF
	// distribution registry).
	Type string `yaml:"type,omitempty" jsonschema:"enum=registry,default=registry"`
	// Host is the name of the host in hosts that runs the registry. Left
	// out, it is the first host of roleGroups.registry; with neither, the
	// cluster has no registry of its own.
	Host string `yaml:"host,omitempty"`
	// Port is the port the registry listens on. The default is 5000.
	Port int `yaml:"port,omitempty" jsonschema:"minimum=1,maximum=65535,default=5000"`
	// Version is the registry's release. The default is the profile's.
	Version string `yaml:"version,omitempty"`
	// TLS sets up HTTPS for the registry.
	TLS RegistryTLS `yaml:"tls,omitempty"`
	// Auth, if set, makes the registry ask for a user name and password.
	Auth *RegistryAuth `yaml:"auth,omitempty"`
}

// RegistryTLS sets up HTTPS for the registry.
type RegistryTLS struct {
	// Enabled serves HTTPS. The default is true.
	Enabled *bool `yaml:"enabled,omitempty" jsonschema:"default=true"`
	// CertFile is the path of the server certificate. Left out (with
	// keyFile), kubexm generates a CA and a certificate.
	CertFile string `yaml:"certFile,omitempty"`
	// KeyFile is the path of the server certificate's key.
	KeyFile string `yaml:"keyFile,omitempty"`
}

// On reports whether the registry serves HTTPS.
func (t RegistryTLS) On() bool { return t.Enabled == nil || *t.Enabled }

// Generated reports whether kubexm makes the certificate itself.
func (t RegistryTLS) Generated() bool { return t.On() && t.CertFile == "" }

// RegistryAuth is the registry's one user.
type RegistryAuth struct {
	// Username is the user name.
	Username string `yaml:"username" jsonschema:"required"`
	// Password is the user's password.
	Password string `yaml:"password" jsonschema:"required"`
}

// Addon is a Helm chart installed once the cluster is up.
type Addon struct {
	// Name is the Helm release name, unique among the add-ons.
	Name string `yaml:"name" jsonschema:"required"`
	// Chart is the chart's name in repo. The default is name. Not used
	// with oci, whose URL names the chart.
	Chart string `yaml:"chart,omitempty"`
	// Repo is the URL of the chart repository. Set repo or oci.
	Repo string `yaml:"repo,omitempty"`
	// OCI is the chart's oci:// URL, e.g. oci://ghcr.io/org/charts/name.
	OCI string `yaml:"oci,omitempty"`
	// Version is the chart's version. It must be pinned: the bundle holds
	// exactly one.
	Version string `yaml:"version" jsonschema:"required"`
	// Namespace is where the release goes. The default is kube-system.
	Namespace string `yaml:"namespace,omitempty"`
	// Values are the chart values, as in a values.yaml file.
	Values map[string]any `yaml:"values,omitempty"`
}

// Artifacts says what make-tar collects and where from.
type Artifacts struct {
	// Arches are the CPU architectures to collect for. The default is the
	// architectures of the hosts.
	Arches []string `yaml:"arches,omitempty" jsonschema:"uniqueItems=true"`
	// OS are the operating-system releases to collect packages for. The
	// default is the profile's (debian 12).
	OS []OSRelease `yaml:"os,omitempty"`
	// ExtraImages are more images to put in the bundle and the registry,
	// e.g. docker.io/library/nginx:1.29.
	ExtraImages []string `yaml:"extraImages,omitempty"`
	// ExtraCharts are more Helm charts to put in the bundle.
	ExtraCharts []Chart `yaml:"extraCharts,omitempty"`
	// Sources replaces upstream locations with mirrors.
	Sources Sources `yaml:"sources,omitempty"`
	// CABundle is the path of extra CA certificates (PEM) to trust when
	// fetching from the mirrors.
	CABundle string `yaml:"caBundle,omitempty"`
}

// OSRelease is an operating-system release, as /etc/os-release names it.
type OSRelease struct {
	// ID is the ID of /etc/os-release: debian or ubuntu.
	ID string `yaml:"id" jsonschema:"required,enum=debian,enum=ubuntu"`
	// Version is the VERSION_ID of /etc/os-release, e.g. "12" or "22.04".
	Version string `yaml:"version" jsonschema:"required"`
}

// Chart is a Helm chart to collect.
type Chart struct {
	// Name is the chart's name in repo.
	Name string `yaml:"name" jsonschema:"required"`
	// Repo is the URL of the chart repository, or the chart's oci:// URL.
	Repo string `yaml:"repo" jsonschema:"required"`
	// Version is the chart's version.
	Version string `yaml:"version" jsonschema:"required"`
}

// Sources replaces upstream locations with mirrors.
type Sources struct {
	// Binaries maps a component (kubernetes, containerd, etcd, ...) to the
	// base URL its files are fetched from instead of upstream's.
	Binaries map[string]string `yaml:"binaries,omitempty"`
	// Registries maps an upstream registry (registry.k8s.io) to the prefix
	// its images are pulled from instead (mirror.example:5000/k8s).
	Registries map[string]string `yaml:"registries,omitempty"`
	// Charts maps a chart repository URL to the URL to use instead.
	Charts map[string]string `yaml:"charts,omitempty"`
	// Packages maps an OS (debian, ubuntu) to the URL of a mirror of its
	// apt archive. The default is the apt sources of the machine make-tar
	// runs on.
	Packages map[string]string `yaml:"packages,omitempty"`
	// PackagesKeyring is the path of the OpenPGP keyring a mirror of
	// packages signs its Release files with, for a mirror that re-signs
	// them. The default is the distribution's archive keyring.
	PackagesKeyring string `yaml:"packagesKeyring,omitempty"`
}

// Seed is the network and SSH trust of the seed node. The seed has no
// operating system of its own, so what a host's /etc/network would say is
// here.
type Seed struct {
	// Interface is the network interface to configure, e.g. eth0. Left out,
	// it is the first interface other than loopback that has a link.
	Interface string `yaml:"interface,omitempty"`
	// Address is the seed's IP address with its prefix length, e.g.
	// 10.0.0.5/24. Left out, the seed asks a DHCP server for one.
	Address string `yaml:"address,omitempty"`
	// Gateway is the next hop of the default route, e.g. 10.0.0.1, on
	// address's subnet. Only with address: DHCP gives its own. Left out, the
	// seed reaches only its own subnet.
	Gateway string `yaml:"gateway,omitempty"`
	// DNS are the name servers of the seed, for hosts addressed by name.
	// Only with address: DHCP gives its own.
	DNS []string `yaml:"dns,omitempty" jsonschema:"uniqueItems=true"`
	// TrustOnFirstUse makes the seed accept the SSH key a host without
	// hostKeyFingerprint presents the first time. The default is false:
	// the seed has no known_hosts, so such a host is refused.
	TrustOnFirstUse bool `yaml:"trustOnFirstUse,omitempty"`
}

// DHCP reports whether the seed asks DHCP for its address.
func (s Seed) DHCP() bool { return s.Address == "" }
