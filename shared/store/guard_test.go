package store

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/money"
)

// linkStatusPlaceholder is a value placeholder named after a link status:
// the mark of a status list written by hand in a condition.
var linkStatusPlaceholder = regexp.MustCompile(`:(created|clicked|paid|declined|expired)\b`)

// The store writes no link status into an expression by hand: every status
// guard comes from the domain's table through statusGuard.
func TestNoHandWrittenStatusGuards(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(fset, name, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING && linkStatusPlaceholder.MatchString(lit.Value) {
				t.Errorf("%s: status written by hand in %s", fset.Position(lit.Pos()), lit.Value)
			}
			return true
		})
	}
}

func TestStatusGuard(t *testing.T) {
	cases := []struct {
		in   []domain.Status
		want string
	}{
		{[]domain.Status{domain.StatusPaid}, "#status = :from0"},
		{[]domain.Status{domain.StatusCreated, domain.StatusClicked}, "#status IN (:from0, :from1)"},
		{domain.From(domain.StatusPaid), "#status IN (:from0, :from1, :from2, :from3)"},
	}
	for _, c := range cases {
		names, values := map[string]string{}, map[string]types.AttributeValue{":one": nv(1)}
		got, err := statusGuard(names, values, c.in)
		if err != nil {
			t.Fatal(err)
		}
		if got != c.want || names["#status"] != "status" {
			t.Errorf("%v: %q names %v, want %q", c.in, got, names, c.want)
		}
		if st := guardedStatuses(t, got, values); !slices.Equal(st, c.in) {
			t.Errorf("%v: values say %v", c.in, st)
		}
		if _, ok := values[":one"]; !ok || len(values) != len(c.in)+1 {
			t.Errorf("%v: values %v", c.in, values)
		}
	}
	if _, err := statusGuard(map[string]string{}, map[string]types.AttributeValue{}, nil); err == nil {
		t.Fatal("an empty guard (no status may move) was built")
	}
	if _, err := statusGuard(map[string]string{}, map[string]types.AttributeValue{":from0": nv(1)}, []domain.Status{domain.StatusPaid}); err == nil {
		t.Fatal("a guard overwrote a value already there")
	}
}

var guardExpr = regexp.MustCompile(`#status (?:= (:\w+)|IN \(([^)]*)\))`)

// guardedStatuses reads back the statuses a condition guards with.
func guardedStatuses(t *testing.T, cond string, values map[string]types.AttributeValue) []domain.Status {
	t.Helper()
	m := guardExpr.FindStringSubmatch(cond)
	if m == nil {
		t.Fatalf("no status guard in %q", cond)
	}
	ph := []string{m[1]}
	if m[1] == "" {
		ph = strings.Split(m[2], ", ")
	}
	var out []domain.Status
	for _, p := range ph {
		v, ok := values[p].(*types.AttributeValueMemberS)
		if !ok {
			t.Fatalf("%s of %q has no string value", p, cond)
		}
		out = append(out, domain.Status(v.Value))
	}
	return out
}

// Every status the store guards a move with is what the domain says.
func TestGuardsAreTheDomainsTransitions(t *testing.T) {
	s := New(nil, "t")
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	amt := money.MustParse("EUR", "12.00")
	check := func(what string, u *types.Update, want []domain.Status) {
		t.Helper()
		if got := guardedStatuses(t, *u.ConditionExpression, u.ExpressionAttributeValues); !slices.Equal(got, want) {
			t.Errorf("%s guards %v, domain says %v", what, got, want)
		}
	}
	paid := domain.PaymentEvent{ID: "ev1", LinkID: "pl_1", Kind: domain.PaymentSucceeded, Amount: &amt}
	items, err := s.applyItems("m", "sandbox", paid, domain.ExpectPayment(paid), now)
	if err != nil {
		t.Fatal(err)
	}
	check("payment", items[0].Update, domain.FromOpen(domain.StatusPaid))
	items, err = s.applyItems("m", "sandbox", paid, domain.PaymentDecision{Action: domain.PaymentApply, To: domain.StatusPaid, From: domain.FromClosed(domain.StatusPaid), AfterExpiry: true}, now)
	if err != nil {
		t.Fatal(err)
	}
	check("payment after expiry", items[0].Update, domain.FromClosed(domain.StatusPaid))
	failed := domain.PaymentEvent{ID: "ev2", LinkID: "pl_1", Kind: domain.PaymentFailed}
	if items, err = s.applyItems("m", "sandbox", failed, domain.ExpectPayment(failed), now); err != nil {
		t.Fatal(err)
	}
	check("decline", items[0].Update, domain.From(domain.StatusDeclined))
	if items, err = s.expireItems(Due{Merchant: "m", ID: "pl_1"}, now); err != nil {
		t.Fatal(err)
	}
	check("expiry", items[0].Update, domain.From(domain.StatusExpired))

	l := &domain.Link{ID: "pl_1", Merchant: "m", Code: "m_x", Amount: amt, Version: 3}
	del, err := s.deleteLinkItem(l)
	if err != nil {
		t.Fatal(err)
	}
	d := del.Delete
	check("delete", &types.Update{ConditionExpression: d.ConditionExpression, ExpressionAttributeValues: d.ExpressionAttributeValues}, domain.Deletable())
	res, err := s.reserveRefundItem(l, money.MustParse("EUR", "2.00"), 1000)
	if err != nil {
		t.Fatal(err)
	}
	check("refund", res.Update, domain.Refundable())
	in, err := s.clickInput(l.Merchant, l.ID, l.Code, now)
	if err != nil {
		t.Fatal(err)
	}
	check("click", &types.Update{ConditionExpression: in.ConditionExpression, ExpressionAttributeValues: in.ExpressionAttributeValues}, []domain.Status{domain.StatusClicked})
}
