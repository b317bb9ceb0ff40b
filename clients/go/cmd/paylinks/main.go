// Command paylinks works with a paylinks API from a terminal: payment links
// (links create, get, list), the event feed forwarded to a local endpoint
// as signed webhooks (listen), and test events on the sandbox PSP (trigger).
//
//	go install github.com/paylinks/paylinks/clients/go/cmd/paylinks@latest
//	export PAYLINKS_API_KEY=sk_test_...
//	paylinks links create --amount 12.50 --currency EUR --description "Invoice 42"
//	paylinks listen --forward-to http://localhost:3000/hooks
//	paylinks trigger payment_link.paid
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"

	paylinks "github.com/paylinks/paylinks/clients/go"
)

const usage = `usage: paylinks [--api-url URL] [--api-key KEY] <command> [flags]

commands:
  links create --amount 12.50 --currency EUR --description TEXT [--customer "First Last"]
               [--company NAME] [--email E] [--reference R] [--json]
  links get <id>
  links list [--status S] [--limit N] [--all] [--json]
  listen --forward-to URL [--types a,b] [--secret whsec_...] [--state-dir DIR]
  trigger payment_link.paid|payment_link.created|payment_link.clicked|payment_link.declined

--api-url defaults to $PAYLINKS_API_URL, else http://127.0.0.1:8080;
--api-key to $PAYLINKS_API_KEY; listen's --secret to $PAYLINKS_WEBHOOK_SECRET (kept out of
the process list). Every flag is also accepted after the command.
`

// errUsage is a command line that does not say what to do; run prints the
// usage with it.
var errUsage = errors.New("usage")

// globals are the flags every command takes.
type globals struct {
	apiURL, apiKey string
}

func (g *globals) register(fs *flag.FlagSet) {
	fs.StringVar(&g.apiURL, "api-url", g.apiURL, "the API's base URL ($PAYLINKS_API_URL)")
	fs.StringVar(&g.apiKey, "api-key", g.apiKey, "the API key ($PAYLINKS_API_KEY)")
}

func (g *globals) client() (*paylinks.Client, error) {
	if g.apiKey == "" {
		return nil, errors.New("no API key: pass --api-key or set PAYLINKS_API_KEY")
	}
	if err := checkAPIURL(g.apiURL); err != nil {
		return nil, err
	}
	return paylinks.New(strings.TrimRight(g.apiURL, "/"), g.apiKey)
}

// checkAPIURL refuses an API URL the key would travel to in clear text
// (http to anything but this machine) or that is not an http(s) URL.
func checkAPIURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("--api-url %q is not an http(s) URL", raw)
	}
	if u.Scheme == "http" && !loopback(u.Hostname()) {
		return fmt.Errorf("--api-url %q: the API key would cross the network in clear text; use https (http is for this machine only: localhost, 127.0.0.1, ::1)", raw)
	}
	return nil
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// cli is one run of the command: its environment and its output.
type cli struct {
	g              globals
	getenv         func(string) string
	stdout, stderr io.Writer
}

// newFlags is a flag set of a command, with the global flags, that prints
// nothing itself (run reports its errors).
func (c *cli) newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	c.g.register(fs)
	return fs
}

// run is the command: the exit status of args (without the program name).
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	c := &cli{getenv: getenv, stdout: stdout, stderr: stderr}
	c.g.apiURL = getenv("PAYLINKS_API_URL")
	if c.g.apiURL == "" {
		c.g.apiURL = "http://127.0.0.1:8080"
	}
	c.g.apiKey = getenv("PAYLINKS_API_KEY")
	err := c.dispatch(ctx, args)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprint(stdout, usage)
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintf(stderr, "paylinks: %v\n%s", err, usage)
		return 2
	default:
		msg := err.Error()
		if !strings.HasPrefix(msg, "paylinks: ") { // the client's errors name it already
			msg = "paylinks: " + msg
		}
		fmt.Fprintln(stderr, msg)
		return 1
	}
}

func (c *cli) dispatch(ctx context.Context, args []string) error {
	fs := c.newFlags("paylinks")
	if err := fs.Parse(args); err != nil {
		return flagError(err)
	}
	args = fs.Args()
	if len(args) == 0 {
		return fmt.Errorf("%w: no command", errUsage)
	}
	switch args[0] {
	case "links":
		return c.links(ctx, args[1:])
	case "listen":
		return c.listen(ctx, args[1:])
	case "trigger":
		return c.trigger(ctx, args[1:])
	case "help", "-h", "--help":
		return flag.ErrHelp
	}
	return fmt.Errorf("%w: unknown command %q", errUsage, args[0])
}

// flagError is a flag set's error as a usage error (help stays help).
func flagError(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return err
	}
	return fmt.Errorf("%w: %v", errUsage, err)
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
