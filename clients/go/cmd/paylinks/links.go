package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"

	paylinks "github.com/paylinks/paylinks/clients/go"
	"github.com/paylinks/paylinks/clients/go/api"
)

func (c *cli) links(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: links needs create, get or list", errUsage)
	}
	switch args[0] {
	case "create":
		return c.linksCreate(ctx, args[1:])
	case "get":
		return c.linksGet(ctx, args[1:])
	case "list":
		return c.linksList(ctx, args[1:])
	}
	return fmt.Errorf("%w: unknown links command %q", errUsage, args[0])
}

// decimal is an amount as the API takes it: digits, and a fraction.
var decimal = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?$`)

// createArgs is what links create sends, from its flags.
func (c *cli) createArgs(args []string) (api.CreatePaymentLink, bool, error) {
	fs := c.newFlags("links create")
	amount := fs.String("amount", "", "the amount, a decimal (12.50)")
	currency := fs.String("currency", "EUR", "the currency (ISO 4217)")
	description := fs.String("description", "", "what is paid for")
	reference := fs.String("reference", "", "your reference")
	person := fs.String("customer", "", `the customer's first and last name ("Ana Peeters")`)
	company := fs.String("company", "", "the customer's company name")
	email := fs.String("email", "", "the customer's e-mail address")
	asJSON := fs.Bool("json", false, "print the link's JSON")
	if err := fs.Parse(args); err != nil {
		return api.CreatePaymentLink{}, false, flagError(err)
	}
	if fs.NArg() > 0 {
		return api.CreatePaymentLink{}, false, fmt.Errorf("%w: links create takes no argument %q", errUsage, fs.Arg(0))
	}
	var missing []string
	if *amount == "" {
		missing = append(missing, "--amount")
	}
	if *description == "" {
		missing = append(missing, "--description")
	}
	if len(missing) > 0 {
		return api.CreatePaymentLink{}, false, fmt.Errorf("%w: links create needs %s", errUsage, strings.Join(missing, " and "))
	}
	if !decimal.MatchString(*amount) {
		return api.CreatePaymentLink{}, false, fmt.Errorf("%w: --amount %q is not a decimal like 12.50", errUsage, *amount)
	}
	body := api.CreatePaymentLink{Amount: api.MoneyInput{Currency: strings.ToUpper(*currency), Value: *amount}, Description: *description}
	if *reference != "" {
		body.Reference = reference
	}
	cust, err := customer(*person, *company, *email)
	if err != nil {
		return api.CreatePaymentLink{}, false, err
	}
	body.Customer = cust
	return body, *asJSON, nil
}

// customer is the link's customer from the flags (nil when none is
// given): the name's last word is the last name.
func customer(person, company, email string) (*api.Customer, error) {
	if person == "" && company == "" && email == "" {
		return nil, nil
	}
	cu := &api.Customer{}
	if person = strings.TrimSpace(person); person != "" {
		i := strings.LastIndex(person, " ")
		if i < 0 {
			return nil, fmt.Errorf("%w: --customer %q needs a first and a last name", errUsage, person)
		}
		first, last := strings.TrimSpace(person[:i]), person[i+1:]
		cu.FirstName, cu.LastName = &first, &last
	}
	if company != "" {
		cu.CompanyName = &company
	}
	if email != "" {
		cu.Email = &email
	}
	return cu, nil
}

func (c *cli) linksCreate(ctx context.Context, args []string) error {
	body, asJSON, err := c.createArgs(args)
	if err != nil {
		return err
	}
	pc, err := c.g.client()
	if err != nil {
		return err
	}
	l, err := pc.CreateLink(ctx, body, nil)
	if err != nil {
		return err
	}
	if asJSON {
		return c.printJSON(l)
	}
	fmt.Fprintf(c.stdout, "%s\t%s\t%s %s\t%s\n", l.Id, l.Status, l.Amount.Value, l.Amount.Currency, l.Url)
	return nil
}

func (c *cli) linksGet(ctx context.Context, args []string) error {
	fs := c.newFlags("links get")
	if err := fs.Parse(args); err != nil {
		return flagError(err)
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("%w: links get takes one link id", errUsage)
	}
	pc, err := c.g.client()
	if err != nil {
		return err
	}
	l, err := pc.GetLink(ctx, fs.Arg(0))
	if err != nil {
		return err
	}
	return c.printJSON(l)
}

// listArgs are the parameters and switches of links list.
func (c *cli) listArgs(args []string) (api.ListPaymentLinksParams, bool, bool, error) {
	fs := c.newFlags("links list")
	status := fs.String("status", "", "only links in this status (created, clicked, paid, declined, expired)")
	limit := fs.Int("limit", 0, "links per page (the API's default when 0)")
	all := fs.Bool("all", false, "every page, not only the first")
	asJSON := fs.Bool("json", false, "one JSON object per line")
	if err := fs.Parse(args); err != nil {
		return api.ListPaymentLinksParams{}, false, false, flagError(err)
	}
	if fs.NArg() > 0 {
		return api.ListPaymentLinksParams{}, false, false, fmt.Errorf("%w: links list takes no argument %q", errUsage, fs.Arg(0))
	}
	var p api.ListPaymentLinksParams
	if *status != "" {
		st := api.Status(*status)
		if !st.Valid() {
			return p, false, false, fmt.Errorf("%w: --status %q is none of created, clicked, paid, declined, expired", errUsage, *status)
		}
		p.Status = &st
	}
	if *limit < 0 {
		return p, false, false, fmt.Errorf("%w: --limit %d", errUsage, *limit)
	}
	if *limit > 0 {
		p.Limit = limit
	}
	return p, *all, *asJSON, nil
}

// errFirstPage ends the iteration after the first page of links list.
var errFirstPage = errors.New("first page read")

func (c *cli) linksList(ctx context.Context, args []string) error {
	params, all, asJSON, err := c.listArgs(args)
	if err != nil {
		return err
	}
	pc, err := c.g.client()
	if err != nil {
		return err
	}
	var next *string
	page := func(ctx context.Context, cursor *string) ([]api.PaymentLink, *string, error) {
		if cursor != nil && !all {
			return nil, nil, errFirstPage
		}
		params.Cursor = cursor
		r, err := pc.API.ListPaymentLinksWithResponse(ctx, &params)
		if err != nil {
			return nil, nil, err
		}
		if r.JSON200 == nil {
			return nil, nil, fmt.Errorf("unexpected answer %d", r.StatusCode())
		}
		next = r.JSON200.NextCursor
		return r.JSON200.Data, r.JSON200.NextCursor, nil
	}
	for l, err := range paylinks.All(ctx, page) {
		if errors.Is(err, errFirstPage) {
			fmt.Fprintf(c.stderr, "more links follow (--all reads them; next cursor %s)\n", *next)
			return nil
		}
		if err != nil {
			return err
		}
		if asJSON {
			b, _ := json.Marshal(l)
			fmt.Fprintf(c.stdout, "%s\n", b)
			continue
		}
		fmt.Fprintf(c.stdout, "%s\t%s\t%s %s\t%s\n", l.Id, l.Status, l.Amount.Value, l.Amount.Currency, l.Description)
	}
	return nil
}

func (c *cli) printJSON(v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(c.stdout, "%s\n", b)
	return err
}
