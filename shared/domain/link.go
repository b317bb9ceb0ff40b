package domain

import (
	"time"

	"github.com/paylinks/paylinks/shared/money"
)

// Customer is who pays: a person (first and last name) or a company.
type Customer struct {
	// ID is the customer resource the link was made for ("" for a link
	// made before customers, or with none).
	ID             string `json:"id,omitempty"`
	CustomerNumber string `json:"customer_number,omitempty"`
	FirstName      string `json:"first_name,omitempty"`
	LastName       string `json:"last_name,omitempty"`
	CompanyName    string `json:"company_name,omitempty"`
	Email          string `json:"email,omitempty"`
	Phone          string `json:"phone,omitempty"`
	Language       string `json:"language,omitempty"`
	Country        string `json:"country,omitempty"`
}

// Name is how the customer is addressed.
func (c Customer) Name() string {
	if c.CompanyName != "" {
		return c.CompanyName
	}
	return c.FirstName + " " + c.LastName
}

// Beneficiary is the account the money goes to.
type Beneficiary struct {
	Name string `json:"name,omitempty"`
	IBAN string `json:"iban,omitempty"`
	BIC  string `json:"bic,omitempty"`
	// Bank is the bank's name, as payers see it beside the IBAN (optional).
	Bank string `json:"bank,omitempty"`
}

// Link is a payment link.
type Link struct {
	ID             string
	Merchant       string
	Code           string
	Status         Status
	Amount         money.Amount
	AmountRefunded money.Amount // refunds that succeeded
	// RefundCommitted is what refunds hold: succeeded plus pending. Never
	// above Amount.
	RefundCommitted money.Amount
	Description     string
	Reference       string
	Customer        Customer
	Language        string
	RedirectURL     string
	Beneficiary     *Beneficiary
	EndToEndID      string
	PaymentMethods  []string
	// BankReference is the structured reference a bank transfer pays the
	// link with, in electronic form (package reference), unique within the
	// merchant; "" for a link that offers no bank transfer.
	BankReference   string
	Origin          Origin
	Metadata        map[string]string
	ExpiresAt       time.Time
	CreatedAt       time.Time
	UpdatedAt       time.Time
	ClickedAt       *time.Time
	ClickCount      int
	PaidAt          *time.Time
	PaidAfterExpiry bool
	PSP             string
	PSPReference    string
	// ReversedBy is the review payment (ReviewReversal) that a bank's
	// reversal of the transfer that paid the link opened: the payer has
	// the money back, so the link is refunded no more (RefundRefusal).
	// "" for a link whose payment stands.
	ReversedBy    string
	FailureReason string
	Archived      bool
	// Attempt counts checkout attempts: it grows when a declined link is
	// reopened, so each attempt gets its own PSP session.
	Attempt int
	// Checkout is the PSP session of the current attempt, when stored.
	CheckoutURL       string
	CheckoutExpiresAt *time.Time
	// ReminderAt is when a second-chance message goes out (if still
	// unpaid and unexpired), on ReminderChannel.
	ReminderAt      *time.Time
	ReminderChannel string
	// SentChannels are the channels a message of the link went out on
	// (email, sms, whatsapp), LastSentAt the latest: written by the send
	// worker only, never by a change of the link.
	SentChannels []string
	LastSentAt   *time.Time
	Version      int
	// LastEvent is the timeline event written with the link's latest
	// change, in the same transaction: the table's stream carries it with
	// the link as it was after that change (the outbound webhooks' outbox).
	LastEvent *EventRef
	// Timeline lists the ids of the events written with the link's
	// changes in the order they were committed (DynamoDB serialises the
	// link's updates): concurrent writers may make their events' ids in
	// one order and commit in another.
	Timeline []string
}

// EventRef names a timeline event and carries its data.
type EventRef struct {
	ID   string            `dynamodbav:"id"`
	Type string            `dynamodbav:"type"`
	At   string            `dynamodbav:"at"`
	Data map[string]string `dynamodbav:"data,omitempty"`
}

// Ref is the reference to e kept on its link.
func (e Event) Ref() *EventRef {
	return &EventRef{ID: e.ID, Type: e.Type, At: e.At.UTC().Format(time.RFC3339Nano), Data: e.Data}
}

// RefundLeft is what may still be refunded. A link is paid only by a
// payment of exactly its amount (any other is kept for review), so its
// amount is what it received.
func (l *Link) RefundLeft() money.Amount { return l.Amount.Sub(l.RefundCommitted) }

// RefundState says how much of a paid link was given back: none, partial
// or full.
func (l *Link) RefundState() string {
	switch {
	case l.AmountRefunded.Value.IsZero():
		return "none"
	case l.AmountRefunded.Value.GreaterThanOrEqual(l.Amount.Value):
		return "full"
	default:
		return "partial"
	}
}

// ExpiredAt reports whether the link's expiry has passed at now.
func (l *Link) ExpiredAt(now time.Time) bool { return !now.Before(l.ExpiresAt) }

// Event is one entry of a link's timeline.
type Event struct {
	ID     string            `json:"id"`
	LinkID string            `json:"link_id"`
	Type   string            `json:"type"`
	From   Status            `json:"from,omitempty"`
	To     Status            `json:"to,omitempty"`
	At     time.Time         `json:"created_at"`
	Data   map[string]string `json:"data,omitempty"`
	// Actor is who did it: a member or API key for what was asked of the
	// API, System for what paylinks does itself (webhooks, the sweep,
	// clicks). Its IP and user agent are not part of the event.
	Actor Actor `json:"actor"`
}

// Event types (outbound webhook names).
const (
	EventCreated        = "payment_link.created"
	EventClicked        = "payment_link.clicked"
	EventPaid           = "payment_link.paid"
	EventDeclined       = "payment_link.declined"
	EventExpired        = "payment_link.expired"
	EventArchived       = "payment_link.archived"
	EventRefundCreated  = "refund.created"
	EventRefundSucceded = "refund.succeeded"
	EventRefundFailed   = "refund.failed"
	EventUpdated        = "payment_link.updated"
)

// EventFor names the event of a move to status s.
func EventFor(s Status) string { return "payment_link." + string(s) }

// NewEvent makes a timeline event for a link.
func NewEvent(linkID, typ string, from, to Status, at time.Time, data map[string]string) Event {
	return Event{ID: NewSeqID(PrefixEvent, at), LinkID: linkID, Type: typ, From: from, To: to, At: at.UTC(), Data: data}
}

// clone copies a link deeply enough for a state change.
func (l *Link) clone() *Link {
	n := *l
	return &n
}

// Open is a person opening a created or declined link: it becomes clicked,
// the click is counted, clicked_at is stamped once, and reopening a declined
// link starts a new checkout attempt.
func Open(cur *Link, now time.Time) *Link {
	n := cur.clone()
	if n.Status == StatusDeclined || n.Attempt == 0 {
		n.Attempt++
		n.CheckoutURL, n.CheckoutExpiresAt = "", nil
	}
	n.Status = StatusClicked
	n.ClickCount++
	if n.ClickedAt == nil {
		t := now.UTC()
		n.ClickedAt = &t
	}
	n.UpdatedAt = now.UTC()
	return n
}

// PaymentMethod is how a paid link was paid, "" when unknown or not paid:
// MethodBankTransfer for a link the bank's statement (or a match) paid;
// for a PSP's payment the method the link offered at the PSP when it
// offered one alone (the checkout took no other), else unknown (the PSPs'
// events do not say).
func (l *Link) PaymentMethod() string {
	switch {
	case l.Status != StatusPaid:
		return ""
	case l.PSP == ProviderBank:
		return MethodBankTransfer
	}
	atPSP := ""
	for _, m := range l.PaymentMethods {
		switch {
		case m == MethodBankTransfer:
		case atPSP != "":
			return ""
		default:
			atPSP = m
		}
	}
	return atPSP
}
