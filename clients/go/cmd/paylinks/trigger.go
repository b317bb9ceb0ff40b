package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	paylinks "github.com/paylinks/paylinks/clients/go"
	"github.com/paylinks/paylinks/clients/go/api"
)

// triggers are the events trigger makes happen, and the status of the
// link once it has: created (nothing more), clicked (opened), paid or
// declined at the sandbox checkout.
var triggers = map[string]api.Status{
	"payment_link.created":  "created",
	"payment_link.clicked":  "clicked",
	"payment_link.paid":     "paid",
	"payment_link.declined": "declined",
}

const triggerNames = "payment_link.created, payment_link.clicked, payment_link.paid, payment_link.declined"

func (c *cli) triggerArgs(args []string) (string, time.Duration, error) {
	fs := c.newFlags("trigger")
	wait := fs.Duration("timeout", 30*time.Second, "how long to wait for the link to reach its status")
	if err := fs.Parse(args); err != nil {
		return "", 0, flagError(err)
	}
	if fs.NArg() != 1 {
		return "", 0, fmt.Errorf("%w: trigger takes one event name (%s)", errUsage, triggerNames)
	}
	name := fs.Arg(0)
	if _, ok := triggers[name]; !ok {
		return "", 0, fmt.Errorf("%w: trigger cannot make %q happen; it makes %s (on a test merchant with the sandbox PSP)",
			errUsage, name, triggerNames)
	}
	if strings.HasPrefix(c.g.apiKey, "sk_live_") {
		return "", 0, fmt.Errorf("%w: trigger runs with a test key (sk_test_...), not a live one", errUsage)
	}
	return name, *wait, nil
}

// trigger makes an event happen on the sandbox PSP: it creates a link and,
// as a payer would, opens it and pays or declines at the sandbox checkout;
// it prints the link's id once the link has the event's status.
func (c *cli) trigger(ctx context.Context, args []string) error {
	name, wait, err := c.triggerArgs(args)
	if err != nil {
		return err
	}
	pc, err := c.g.client()
	if err != nil {
		return err
	}
	first, last := "Test", "Payer"
	l, err := pc.CreateLink(ctx, api.CreatePaymentLink{Amount: api.MoneyInput{Currency: "EUR", Value: "12.50"},
		Description: "paylinks trigger " + name, Customer: &api.Customer{FirstName: &first, LastName: &last}}, nil)
	if err != nil {
		return err
	}
	want := triggers[name]
	if want != "created" {
		if err := checkout(ctx, l.Url, want); err != nil {
			return fmt.Errorf("link %s: %w", l.Id, err)
		}
	}
	if err := waitStatus(ctx, pc, l.Id, want, wait); err != nil {
		return err
	}
	fmt.Fprintln(c.stdout, l.Id)
	return nil
}

// noRedirect answers the redirects themselves.
var noRedirect = &http.Client{Timeout: 30 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// checkout opens the link (302 to the sandbox checkout) and, for paid or
// declined, posts the checkout's Pay or Decline.
func checkout(ctx context.Context, linkURL string, want api.Status) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, linkURL, nil)
	if err != nil {
		return err
	}
	resp, err := noRedirect.Do(req)
	if err != nil {
		return fmt.Errorf("open the link: %w", err)
	}
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusFound || !strings.Contains(loc, "/sandbox/checkout/") {
		return fmt.Errorf("open the link: %d to %q, not to the sandbox checkout (is the merchant's PSP the sandbox?)", resp.StatusCode, loc)
	}
	if want == "clicked" {
		return nil
	}
	u, err := resp.Request.URL.Parse(loc)
	if err != nil {
		return err
	}
	action := "/pay"
	if want == "declined" {
		action = "/decline"
	}
	req, err = http.NewRequestWithContext(ctx, http.MethodPost, u.String()+action, nil)
	if err != nil {
		return err
	}
	resp, err = noRedirect.Do(req)
	if err != nil {
		return fmt.Errorf("sandbox checkout %s: %w", action, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		return fmt.Errorf("sandbox checkout %s: %d", action, resp.StatusCode)
	}
	return nil
}

// waitStatus polls the link until it has status want.
func waitStatus(ctx context.Context, pc *paylinks.Client, id string, want api.Status, wait time.Duration) error {
	deadline := time.Now().Add(wait)
	for {
		l, err := pc.GetLink(ctx, id)
		if err != nil {
			return err
		}
		if l.Status == want {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("link %s is %s after %s, not %s", id, l.Status, wait, want)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}
