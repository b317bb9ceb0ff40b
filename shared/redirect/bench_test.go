package redirect_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/money"
	"github.com/paylinks/paylinks/shared/store"
	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

// BenchmarkClick runs the click handler (a person opening an opened link:
// one UpdateItem, then the redirect) beside a bare UpdateItem of the same
// item through the same client, and reports both and their ratio: the cost
// of paylinks' own code over the round trip.
func BenchmarkClick(b *testing.B) {
	env := testenv.New(b)
	env.Merchant(b, "demo")
	srv := env.Serve(b)
	now := time.Now().UTC()
	id := domain.NewID(domain.PrefixLink, now)
	code, _ := testenv.CodeKey.NewCode("demo", id)
	l := &domain.Link{ID: id, Merchant: "demo", Code: code, Status: domain.StatusCreated, Language: "en", Origin: domain.OriginAPI,
		Description: "bench", ExpiresAt: now.Add(24 * time.Hour), CreatedAt: now, UpdatedAt: now}
	l.Amount, l.AmountRefunded = money.MustParse("EUR", "10.00"), money.Zero("EUR")
	if err := env.Store.CreateLink(b.Context(), store.NewLink{Link: l, Event: domain.NewEvent(id, domain.EventCreated, "", domain.StatusCreated, now, nil)}); err != nil {
		b.Fatal(err)
	}
	h := srv.Service.PublicHandler()
	req := httptest.NewRequest("GET", "/l/"+code, nil)
	req.Header.Set("User-Agent", browserUA)
	h.ServeHTTP(httptest.NewRecorder(), req) // the first click opens it; the rest count
	raw := &dynamodb.UpdateItemInput{
		TableName:                 aws.String(env.Table),
		Key:                       store.LinkKey("demo", id),
		UpdateExpression:          aws.String("ADD click_count :one SET last_clicked_at = :now"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":one": &types.AttributeValueMemberN{Value: "1"}, ":now": &types.AttributeValueMemberS{Value: "x"}},
		ReturnValues:              types.ReturnValueAllNew,
	}
	var handler, bare time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		t1 := time.Now()
		if w.Code != http.StatusFound {
			b.Fatalf("click: %d", w.Code)
		}
		if _, err := env.DB.UpdateItem(b.Context(), raw); err != nil {
			b.Fatal(err)
		}
		handler += t1.Sub(t0)
		bare += time.Since(t1)
	}
	b.ReportMetric(float64(handler.Nanoseconds())/float64(b.N), "handler-ns/click")
	b.ReportMetric(float64(bare.Nanoseconds())/float64(b.N), "bare-ns/updateitem")
	b.ReportMetric(float64(handler)/float64(bare), "ratio")
}
