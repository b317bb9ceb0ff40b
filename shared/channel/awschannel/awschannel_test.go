package awschannel

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/paylinks/paylinks/shared/channel"
	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

// TestSESAndSNSAgainstTheEmulator sends through the real SDK calls against
// the SES v2 and SNS emulation of the local moto server.
func TestSESAndSNSAgainstTheEmulator(t *testing.T) {
	cfg := testenv.AWSConfig(t)
	// moto serves SES and SNS: on the SQS port under make test, named by
	// AWS_ENDPOINT_URL_SESV2 beside LocalStack (whose free edition has no SES v2).
	endpoint := os.Getenv("AWS_ENDPOINT_URL_SESV2")
	if endpoint == "" {
		endpoint = os.Getenv("AWS_ENDPOINT_URL_SQS")
	}
	ses := sesv2.NewFromConfig(cfg, func(o *sesv2.Options) { o.BaseEndpoint = &endpoint })
	if _, err := ses.CreateEmailIdentity(context.Background(), &sesv2.CreateEmailIdentityInput{EmailIdentity: aws.String("pay@shop.example")}); err != nil {
		t.Fatalf("verify identity on the emulator: %v", err)
	}
	m, _ := channel.Render("link", channel.Email, "en", channel.Data{Name: "Ana", Merchant: "Shop", Amount: "€1.00", Description: "d", URL: "https://pay.example/l/x", Expires: time.Now()})
	m.To = "ana@example.be"
	id, err := (&SESSender{Client: ses, From: "pay@shop.example"}).Send(context.Background(), m)
	if err != nil || id == "" {
		t.Fatalf("ses: %q %v", id, err)
	}
	// An unverified sender is refused for good, not retried.
	if _, err := (&SESSender{Client: ses, From: "nobody@nowhere.example"}).Send(context.Background(), m); !errors.Is(err, channel.ErrPermanent) {
		t.Fatalf("unverified sender: %v", err)
	}
	snsc := sns.NewFromConfig(cfg, func(o *sns.Options) { o.BaseEndpoint = &endpoint })
	sms, _ := channel.Render("link", channel.SMS, "en", channel.Data{Merchant: "Shop", Amount: "€1.00", Description: "d", URL: "https://pay.example/l/x", Expires: time.Now()})
	sms.To = "+32470123456"
	id, err = (&SNSSender{Client: snsc, SenderID: "SHOP"}).Send(context.Background(), sms)
	if err != nil || id == "" {
		t.Fatalf("sns: %q %v", id, err)
	}
	sms.To = "not-a-number"
	if _, err := (&SNSSender{Client: snsc}).Send(context.Background(), sms); !errors.Is(err, channel.ErrPermanent) {
		t.Fatalf("bad number: %v", err)
	}
}
