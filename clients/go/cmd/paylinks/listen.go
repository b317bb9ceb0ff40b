package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

	paylinks "github.com/paylinks/paylinks/clients/go"
	"github.com/paylinks/paylinks/clients/go/api"
)

// listenArgs are listen's settings from its flags.
type listenArgs struct {
	forwardTo, types, secret, stateDir string
	interval                           time.Duration
}

func (c *cli) listenArgs(args []string) (listenArgs, error) {
	var a listenArgs
	fs := c.newFlags("listen")
	fs.StringVar(&a.forwardTo, "forward-to", "", "the URL each event is POSTed to, signed (http://localhost:3000/hooks)")
	fs.StringVar(&a.types, "types", "", "comma-separated event types: only those (default all)")
	fs.StringVar(&a.secret, "secret", c.getenv("PAYLINKS_WEBHOOK_SECRET"),
		"the whsec_ secret to sign with ($PAYLINKS_WEBHOOK_SECRET; default: one generated once and kept in the state)")
	fs.StringVar(&a.stateDir, "state-dir", "", "where the last event and the secret are kept (default <user config dir>/paylinks)")
	fs.DurationVar(&a.interval, "interval", time.Second, "how often the feed is read when it has nothing new")
	if err := fs.Parse(args); err != nil {
		return a, flagError(err)
	}
	if fs.NArg() > 0 {
		return a, fmt.Errorf("%w: listen takes no argument %q", errUsage, fs.Arg(0))
	}
	if a.forwardTo == "" {
		return a, fmt.Errorf("%w: listen needs --forward-to", errUsage)
	}
	if u, err := url.Parse(a.forwardTo); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return a, fmt.Errorf("%w: --forward-to %q is not an http(s) URL", errUsage, a.forwardTo)
	}
	if a.secret != "" {
		if _, err := paylinks.SignWebhook(a.secret, "check", time.Now(), nil); err != nil {
			return a, fmt.Errorf("%w: --secret: %v", errUsage, err)
		}
	}
	if a.interval <= 0 {
		return a, fmt.Errorf("%w: --interval must be positive", errUsage)
	}
	for t := range strings.SplitSeq(a.types, ",") {
		if a.types != "" && !api.FeedEventType(strings.TrimSpace(t)).Valid() {
			return a, fmt.Errorf("%w: --types: %q is not an event type", errUsage, t)
		}
	}
	return a, nil
}

// listener forwards the feed's events to one URL.
type listener struct {
	c     *cli
	pc    *paylinks.Client
	a     listenArgs
	path  string
	state listenState
	hc    *http.Client
}

func (c *cli) listen(ctx context.Context, args []string) error {
	a, err := c.listenArgs(args)
	if err != nil {
		return err
	}
	pc, err := c.g.client()
	if err != nil {
		return err
	}
	if a.stateDir == "" {
		if a.stateDir, err = defaultStateDir(); err != nil {
			return err
		}
	}
	l := &listener{c: c, pc: pc, a: a, path: statePath(a.stateDir, c.g.apiURL, c.g.apiKey),
		hc: &http.Client{Timeout: 10 * time.Second, CheckRedirect: answerRedirects}}
	if l.state, err = loadState(l.path); err != nil {
		return err
	}
	l.state.APIURL, l.state.KeyPrefix = c.g.apiURL, keyPrefix(c.g.apiKey)
	switch {
	case a.secret != "":
		l.state.Secret = a.secret
	case l.state.Secret == "":
		l.state.Secret = paylinks.NewWebhookSecret()
	}
	if err := l.state.save(l.path); err != nil {
		return err
	}
	from := "the feed's oldest event"
	if l.state.LastEventID != "" {
		from = "after " + l.state.LastEventID
	}
	fmt.Fprintf(c.stdout, "Forwarding the events of %s to %s, from %s.\nWebhook signing secret: %s\n",
		c.g.apiURL, a.forwardTo, from, l.state.Secret)
	return l.loop(ctx)
}

// loop reads the feed until ctx ends (Ctrl-C): all it has, then again
// every interval.
func (l *listener) loop(ctx context.Context) error {
	for {
		err := l.drain(ctx)
		if ctx.Err() != nil {
			fmt.Fprintln(l.c.stdout, "Stopped.")
			return nil
		}
		var pe *paylinks.Error
		if errors.As(err, &pe) && pe.Status == http.StatusNotFound && l.state.LastEventID != "" {
			return fmt.Errorf("reading the event feed after %s, the last event read: %w (no longer in the feed? "+
				"remove %s to start from its oldest event)", l.state.LastEventID, err, l.path)
		}
		if errors.As(err, &pe) && pe.Status >= 400 && pe.Status < 500 && pe.Status != http.StatusTooManyRequests {
			return fmt.Errorf("reading the event feed: %w", err)
		}
		if err != nil {
			fmt.Fprintf(l.c.stderr, "reading the event feed: %v (trying again)\n", err)
		}
		select {
		case <-ctx.Done():
			fmt.Fprintln(l.c.stdout, "Stopped.")
			return nil
		case <-time.After(l.a.interval):
		}
	}
}

// drain forwards every settled event after the last one, saving each as
// the last once the endpoint answered it (whatever it answered), and then
// the feed's cursor.
func (l *listener) drain(ctx context.Context) error {
	params := api.ListEventsParams{}
	if l.state.LastEventID != "" {
		after := l.state.LastEventID
		params.After = &after
	}
	if l.a.types != "" {
		types := strings.ReplaceAll(l.a.types, " ", "")
		params.Types = &types
	}
	for page, err := range l.pc.EventPages(ctx, params) {
		if err != nil {
			return err
		}
		for _, ev := range page.Events {
			if err := l.forwardAndKeep(ctx, ev); err != nil {
				return err
			}
		}
		// The cursor moves over the events --types leaves out too: the
		// next poll reads on from it, not through them again.
		if page.NextCursor != "" && page.NextCursor != l.state.LastEventID {
			l.state.LastEventID = page.NextCursor
			if err := l.state.save(l.path); err != nil {
				return err
			}
		}
	}
	return nil
}

// forwardAndKeep forwards ev, prints how it went and keeps it as the last
// event forwarded. Whatever the endpoint answers is its answer (as from
// paylinks' own sender, which listen stands in for); an endpoint that does
// not answer at all (not started yet, restarting) is tried again, with the
// wait doubling from --interval up to 30 s, so no event is passed over
// while the local server is down.
func (l *listener) forwardAndKeep(ctx context.Context, ev paylinks.Event) error {
	wait := l.a.interval
	for {
		outcome, answered := l.forward(ctx, ev)
		if ctx.Err() != nil {
			return ctx.Err() // interrupted mid-forward: sent again on the next start
		}
		if !answered {
			outcome += fmt.Sprintf(" (no answer: trying again in %s)", wait)
		}
		fmt.Fprintf(l.c.stdout, "%s  %-22s  %s  %s\n", ev.Timestamp.UTC().Format(time.RFC3339), printable(string(ev.Type)),
			printable(ev.Data.Link.Id), printable(outcome))
		if answered {
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, max(l.a.interval, maxForwardWait))
	}
	l.state.LastEventID = ev.Id
	return l.state.save(l.path)
}

// maxForwardWait is the longest wait between two tries of an endpoint that
// does not answer.
const maxForwardWait = 30 * time.Second

// forward POSTs the event's webhook, signed, and says how it went: the
// status the endpoint answered, or the error; answered is false when the
// endpoint could not be reached or did not answer in time.
func (l *listener) forward(ctx context.Context, ev paylinks.Event) (outcome string, answered bool) {
	body, err := ev.WebhookBody()
	if err != nil {
		return "error: " + err.Error(), true
	}
	h, err := paylinks.SignWebhook(l.state.Secret, ev.Id, time.Now(), body)
	if err != nil {
		return "error: " + err.Error(), true
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, l.a.forwardTo, bytes.NewReader(body))
	if err != nil {
		return "error: " + err.Error(), true
	}
	req.Header = h
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "paylinks-listen")
	resp, err := l.hc.Do(req)
	if err != nil {
		return "error: " + err.Error(), false
	}
	resp.Body.Close()
	return fmt.Sprintf("-> %d", resp.StatusCode), true
}

// answerRedirects makes a redirect the receiver's answer, as paylinks'
// own sender takes it (it follows none): an endpoint that redirects works
// under listen only if it works in production, and an event is never
// posted to wherever a redirect points.
func answerRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// printable is s with its control characters escaped (\x1b...): what
// listen prints of an event comes from the API, which --api-url may name
// wrongly, and must not drive the terminal.
func printable(s string) string {
	if !strings.ContainsFunc(s, unicode.IsControl) {
		return s
	}
	q := strconv.QuoteToGraphic(s)
	return q[1 : len(q)-1]
}
