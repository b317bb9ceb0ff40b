package store

import (
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/money"
)

// timeLayout is fixed-width so stored times compare as strings.
const timeLayout = "2006-01-02T15:04:05.000Z"

func ft(t time.Time) string { return t.UTC().Format(timeLayout) }

func fpt(t *time.Time) string {
	if t == nil {
		return ""
	}
	return ft(*t)
}

func pt(s string) (time.Time, error) { return time.Parse(timeLayout, s) }

func ppt(s string) (*time.Time, error) {
	if s == "" {
		return nil, nil
	}
	t, err := pt(s)
	return &t, err
}

// listSK is a link's position in the listing index: newest first is
// descending, and the id makes it a total order.
func listSK(created time.Time, id string) string { return ft(created) + "#" + id }

// linkItem is a link as stored. A click rewrites the whole item (1 WCU
// per KB), so attributes that would hold a zero are left out.
type linkItem struct {
	PK     string `dynamodbav:"PK"`
	SK     string `dynamodbav:"SK"`
	Type   string `dynamodbav:"type"`
	GSI1PK string `dynamodbav:"GSI1PK"`
	GSI1SK string `dynamodbav:"GSI1SK"`
	GSI2PK string `dynamodbav:"GSI2PK,omitempty"`
	GSI2SK string `dynamodbav:"GSI2SK,omitempty"`

	ID                string                `dynamodbav:"id"`
	Merchant          string                `dynamodbav:"merchant"`
	Code              string                `dynamodbav:"code"`
	Status            string                `dynamodbav:"status"`
	Currency          string                `dynamodbav:"currency"`
	Amount            string                `dynamodbav:"amount"`
	AmountNum         attributevalue.Number `dynamodbav:"amount_num"`
	CustomerSearch    string                `dynamodbav:"customer_search"`
	RefundedMinor     int64                 `dynamodbav:"refunded_minor,omitempty"`         // changed by ADD only
	CommittedMinor    int64                 `dynamodbav:"refund_committed_minor,omitempty"` // changed by ADD only
	Description       string                `dynamodbav:"description"`
	Reference         string                `dynamodbav:"reference,omitempty"`
	Customer          domain.Customer       `dynamodbav:"customer"`
	Language          string                `dynamodbav:"language"`
	RedirectURL       string                `dynamodbav:"redirect_url,omitempty"`
	Beneficiary       *domain.Beneficiary   `dynamodbav:"beneficiary,omitempty"`
	EndToEndID        string                `dynamodbav:"end_to_end_id,omitempty"`
	PaymentMethods    []string              `dynamodbav:"payment_methods,omitempty"`
	BankReference     string                `dynamodbav:"bank_reference,omitempty"` // fixed at creation
	Origin            string                `dynamodbav:"origin"`
	Metadata          map[string]string     `dynamodbav:"metadata,omitempty"`
	ExpiresAt         string                `dynamodbav:"expires_at"`
	CreatedAt         string                `dynamodbav:"created_at"`
	UpdatedAt         string                `dynamodbav:"updated_at"`
	ClickedAt         string                `dynamodbav:"clicked_at,omitempty"`
	ClickCount        int                   `dynamodbav:"click_count"`
	PaidAt            string                `dynamodbav:"paid_at,omitempty"`
	PaidAfterExpiry   bool                  `dynamodbav:"paid_after_expiry,omitempty"`
	PSP               string                `dynamodbav:"psp,omitempty"`
	PSPReference      string                `dynamodbav:"psp_reference,omitempty"`
	ReversedBy        string                `dynamodbav:"reversed_by,omitempty"` // set by a reversal kept for review only
	FailureReason     string                `dynamodbav:"failure_reason,omitempty"`
	Archived          bool                  `dynamodbav:"archived"`
	Attempt           int                   `dynamodbav:"attempt"`
	CheckoutURL       string                `dynamodbav:"checkout_url,omitempty"`
	CheckoutExpiresAt string                `dynamodbav:"checkout_expires_at,omitempty"`
	ReminderAt        string                `dynamodbav:"reminder_at,omitempty"`
	ReminderChannel   string                `dynamodbav:"reminder_channel,omitempty"`
	SentChannels      []string              `dynamodbav:"sent_channels,stringset,omitempty"` // changed by the send worker's ADD only
	LastSentAt        string                `dynamodbav:"last_sent_at,omitempty"`
	Version           int                   `dynamodbav:"version"`
	LastEvent         *domain.EventRef      `dynamodbav:"last_event,omitempty"`
	Timeline          []string              `dynamodbav:"timeline,omitempty"`
}

func toItem(l *domain.Link) linkItem {
	it := linkItem{
		PK: linkPK(l.Merchant, l.ID), SK: linkSK(l.ID), Type: "link",
		GSI1PK: linkListPK(l.Merchant, l.ID), GSI1SK: listSK(l.CreatedAt, l.ID),
		ID: l.ID, Merchant: l.Merchant, Code: l.Code, Status: string(l.Status),
		Currency: l.Amount.Currency, Amount: l.Amount.String(), AmountNum: attributevalue.Number(l.Amount.String()),
		CustomerSearch: CustomerSearch(l.Customer),
		RefundedMinor:  l.AmountRefunded.Minor(), CommittedMinor: l.RefundCommitted.Minor(),
		Description: l.Description, Reference: l.Reference, Customer: l.Customer, Language: l.Language,
		RedirectURL: l.RedirectURL, Beneficiary: l.Beneficiary, EndToEndID: l.EndToEndID,
		PaymentMethods: l.PaymentMethods, BankReference: l.BankReference, Origin: string(l.Origin), Metadata: l.Metadata,
		ExpiresAt: ft(l.ExpiresAt), CreatedAt: ft(l.CreatedAt), UpdatedAt: ft(l.UpdatedAt),
		ClickedAt: fpt(l.ClickedAt), ClickCount: l.ClickCount, PaidAt: fpt(l.PaidAt),
		PaidAfterExpiry: l.PaidAfterExpiry, PSP: l.PSP, PSPReference: l.PSPReference, ReversedBy: l.ReversedBy,
		FailureReason: l.FailureReason, Archived: l.Archived, Attempt: l.Attempt,
		CheckoutURL: l.CheckoutURL, CheckoutExpiresAt: fpt(l.CheckoutExpiresAt), Version: l.Version,
		ReminderAt: fpt(l.ReminderAt), ReminderChannel: l.ReminderChannel, LastEvent: l.LastEvent, Timeline: l.Timeline,
		SentChannels: l.SentChannels, LastSentAt: fpt(l.LastSentAt),
	}
	if l.Status.Open() && !l.Archived {
		it.GSI2PK, it.GSI2SK = expiryEntry(l.Merchant, l.ID, l.ExpiresAt, l.UpdatedAt)
	}
	return it
}

func fromItem(it *linkItem) (*domain.Link, error) {
	amt, err := money.Parse(it.Currency, it.Amount)
	if err != nil {
		return nil, fmt.Errorf("link %s amount: %w", it.ID, err)
	}
	refunded, err := money.FromMinor(it.Currency, it.RefundedMinor)
	if err != nil {
		return nil, fmt.Errorf("link %s refunded: %w", it.ID, err)
	}
	committed, err := money.FromMinor(it.Currency, it.CommittedMinor)
	if err != nil {
		return nil, fmt.Errorf("link %s refund committed: %w", it.ID, err)
	}
	l := &domain.Link{
		ID: it.ID, Merchant: it.Merchant, Code: it.Code, Status: domain.Status(it.Status),
		Amount: amt, AmountRefunded: refunded, RefundCommitted: committed,
		Description: it.Description, Reference: it.Reference, Customer: it.Customer, Language: it.Language,
		RedirectURL: it.RedirectURL, Beneficiary: it.Beneficiary, EndToEndID: it.EndToEndID,
		PaymentMethods: it.PaymentMethods, BankReference: it.BankReference, Origin: domain.Origin(it.Origin), Metadata: it.Metadata,
		ClickCount: it.ClickCount, PaidAfterExpiry: it.PaidAfterExpiry, PSP: it.PSP, PSPReference: it.PSPReference, ReversedBy: it.ReversedBy,
		FailureReason: it.FailureReason, Archived: it.Archived, Attempt: it.Attempt, CheckoutURL: it.CheckoutURL,
		Version: it.Version, ReminderChannel: it.ReminderChannel, LastEvent: it.LastEvent, Timeline: it.Timeline,
		SentChannels: it.SentChannels,
	}
	var errs [8]error
	l.ExpiresAt, errs[0] = pt(it.ExpiresAt)
	l.CreatedAt, errs[1] = pt(it.CreatedAt)
	l.UpdatedAt, errs[2] = pt(it.UpdatedAt)
	l.ClickedAt, errs[3] = ppt(it.ClickedAt)
	l.PaidAt, errs[4] = ppt(it.PaidAt)
	l.CheckoutExpiresAt, errs[5] = ppt(it.CheckoutExpiresAt)
	l.ReminderAt, errs[6] = ppt(it.ReminderAt)
	l.LastSentAt, errs[7] = ppt(it.LastSentAt)
	for _, e := range errs {
		if e != nil {
			return nil, fmt.Errorf("link %s time: %w", it.ID, e)
		}
	}
	return l, nil
}

// lastEventAV is the last_event attribute naming ev.
func lastEventAV(ev domain.Event) types.AttributeValue {
	av, err := attributevalue.Marshal(ev.Ref())
	if err != nil { // a struct of strings always marshals
		panic(fmt.Sprintf("marshal event ref: %v", err))
	}
	return av
}

// inTimeline reports an event whose place in the link's commit order is
// kept: the status changes and archiving, a bounded few per link. Refunds
// and edits, which may be many, are ordered by their time.
func inTimeline(ev domain.Event) bool { return ev.To != "" || ev.Type == domain.EventArchived }

// timelineAppend is the update clause that records ev in the link's commit
// order; its values go in with timelineValues.
const timelineAppend = "timeline = list_append(if_not_exists(timeline, :tl_empty), :tl_ev)"

func timelineValues(values map[string]types.AttributeValue, ev domain.Event) {
	values[":tl_empty"] = &types.AttributeValueMemberL{}
	values[":tl_ev"] = &types.AttributeValueMemberL{Value: []types.AttributeValue{sv(ev.ID)}}
}

// LinkFromImage reads a link item's attributes (a stream image); ok is false
// for any other item.
func LinkFromImage(av map[string]types.AttributeValue) (l *domain.Link, ok bool, err error) {
	if avS(av["type"]) != "link" || !strings.HasPrefix(avS(av["SK"]), "L#") {
		return nil, false, nil
	}
	l, err = unmarshalLink(av)
	return l, err == nil, err
}

func unmarshalLink(av map[string]types.AttributeValue) (*domain.Link, error) {
	var it linkItem
	if err := attributevalue.UnmarshalMap(av, &it); err != nil {
		return nil, fmt.Errorf("unmarshal link: %w", err)
	}
	return fromItem(&it)
}

// CustomerSearch is the lower-case text the customer filter matches.
func CustomerSearch(c domain.Customer) string {
	return strings.ToLower(strings.Join([]string{c.FirstName, c.LastName, c.CompanyName, c.Email, c.Phone}, " "))
}

// eventItem is a timeline entry as stored.
type eventItem struct {
	PK     string            `dynamodbav:"PK"`
	SK     string            `dynamodbav:"SK"`
	Type   string            `dynamodbav:"type"`
	ID     string            `dynamodbav:"id"`
	LinkID string            `dynamodbav:"link_id"`
	Event  string            `dynamodbav:"event"`
	From   string            `dynamodbav:"from,omitempty"`
	To     string            `dynamodbav:"to,omitempty"`
	At     string            `dynamodbav:"at"`
	Data   map[string]string `dynamodbav:"data,omitempty"`
	// Actor is who did it (left out by events written before actors were
	// recorded: those read as System).
	Actor *domain.Actor `dynamodbav:"actor,omitempty"`
}

// eventToItem puts an event in its link's partition.
func eventToItem(merchant string, e domain.Event) eventItem {
	actor := e.Actor.Public()
	if actor.Type == "" {
		actor = domain.System
	}
	return eventItem{PK: linkPK(merchant, e.LinkID), SK: eventSK(e.ID), Type: "event", ID: e.ID, LinkID: e.LinkID,
		Event: e.Type, From: string(e.From), To: string(e.To), At: ft(e.At), Data: e.Data, Actor: &actor}
}

func eventFromItem(it *eventItem) (domain.Event, error) {
	at, err := pt(it.At)
	actor := domain.System
	if it.Actor != nil && it.Actor.Type != "" {
		actor = *it.Actor
	}
	return domain.Event{ID: it.ID, LinkID: it.LinkID, Type: it.Event, From: domain.Status(it.From), To: domain.Status(it.To), At: at, Data: it.Data,
		Actor: actor}, err
}
