// Command upstream runs the test mirror of the upstream sites (see package mirror) until
// interrupted:
//
//	go run ./qemu-tests/upstream serve -env mirror.env
//
// It builds what the cache lacks, starts the file server and the registry, and writes
// their addresses, the CA and an artifacts block for a kubexm config to the env file and to
// standard output. "upstream build [COMPONENT...]" only fills the build cache.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/kubexm/kubexm/qemu-tests/upstream/mirror"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "upstream: %v\n", err)
		os.Exit(1)
	}
}

const usage = `usage:
  upstream serve [-env FILE] [-host ADDR] [-cert-host NAME,...] [-user USER -password PASSWORD]
  upstream build [COMPONENT...]`

func run(args []string) error {
	if len(args) > 0 && args[0] == "build" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		return mirror.Build(ctx, mirror.Options{Log: os.Stderr}, args[1:]...)
	}
	if len(args) == 0 || args[0] != "serve" {
		return errors.New(usage)
	}

	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	envFile := fs.String("env", "", "write the mirror's addresses to this file")
	host := fs.String("host", "127.0.0.1", "address to listen on")
	certHosts := fs.String("cert-host", "", "more names for the registry certificate, comma-separated")
	user := fs.String("user", "", "turn on basic auth in the registry with this user")
	password := fs.String("password", "", "the registry user's password")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	o := mirror.Options{Host: *host, User: *user, Password: *password, Log: os.Stderr}
	if *certHosts != "" {
		o.CertHosts = strings.Split(*certHosts, ",")
	}
	return serve(ctx, o, *envFile)
}

func serve(ctx context.Context, o mirror.Options, envFile string) error {
	m, err := mirror.Run(ctx, o)
	if err != nil {
		return err
	}
	defer m.Close()

	// The artifacts block is a quoted variable, so that the file stays one a shell can source.
	report := m.Env() + "# artifacts block for a kubexm config:\nKUBEXM_MIRROR_SOURCES='\n" +
		m.SourcesYAML() + "'\n"
	for _, w := range m.Warnings {
		fmt.Fprintf(os.Stderr, "warning: %s\n", w)
	}
	if envFile != "" {
		// Written aside and renamed, so that a script waiting for the file never reads half.
		if err := os.WriteFile(envFile+".tmp", []byte(report), 0o644); err != nil {
			return fmt.Errorf("writing env file %s: %w", envFile, err)
		}
		if err := os.Rename(envFile+".tmp", envFile); err != nil {
			return fmt.Errorf("writing env file %s: %w", envFile, err)
		}
	}
	fmt.Print(report)

	fmt.Fprintln(os.Stderr, "serving; interrupt to stop")
	<-ctx.Done()
	return nil
}
