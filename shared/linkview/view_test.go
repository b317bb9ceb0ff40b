package linkview_test

import (
	"encoding/json"
	"testing"

	"github.com/paylinks/paylinks/shared/bank/reference"
	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/linkview"
	"github.com/paylinks/paylinks/shared/money"
)

// TestBankTransferView: a link offering a bank transfer shows its
// reference in print form, its beneficiary and its EPC QR code's URL; any
// other link leaves bank_transfer out.
func TestBankTransferView(t *testing.T) {
	id := "pl_01JDQ2V3W4X5Y6Z7A8B9C0D1E2"
	ogm := reference.ForLink(id, 0, reference.BEOGM)
	l := &domain.Link{ID: id, Code: "m1_CODE", Amount: money.MustParse("EUR", "12.50"), BankReference: ogm,
		Beneficiary: &domain.Beneficiary{Name: "Bakkerij Peeters", IBAN: "BE71096123456769", BIC: "GKCCBEBB", Bank: "KBC"}}
	raw, err := json.Marshal(linkview.Of(l, "https://pay.example"))
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		BankTransfer map[string]any `json:"bank_transfer"`
	}
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	printed, _ := reference.PrintOGM(ogm)
	want := map[string]any{"reference": printed, "qr_url": "https://pay.example/l/m1_CODE/epc.png",
		"beneficiary": map[string]any{"name": "Bakkerij Peeters", "iban": "BE71096123456769", "bic": "GKCCBEBB"}}
	if g, w := mustJSON(t, got.BankTransfer), mustJSON(t, want); g != w {
		t.Fatalf("bank_transfer %s, want %s", g, w)
	}
	if printed[:3] != "+++" {
		t.Fatalf("print form %q", printed)
	}
	l.BankReference = ""
	raw, _ = json.Marshal(linkview.Of(l, "https://pay.example"))
	var fields map[string]json.RawMessage
	_ = json.Unmarshal(raw, &fields)
	if _, ok := fields["bank_transfer"]; ok {
		t.Fatalf("a link without bank transfer shows %s", fields["bank_transfer"])
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
