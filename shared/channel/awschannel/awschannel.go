// Package awschannel sends messages through AWS: e-mail with SES v2, SMS with
// SNS, WhatsApp with End User Messaging Social. Only the send function links
// it.
package awschannel

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	sestypes "github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/aws-sdk-go-v2/service/socialmessaging"
	"github.com/aws/smithy-go"
	"github.com/paylinks/paylinks/shared/channel"
)

// classify maps provider errors: throttling and 5xx are transient, bad
// input is permanent.
func classify(err error) error {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		code := ae.ErrorCode()
		switch {
		case strings.Contains(code, "Throttl"), strings.Contains(code, "TooManyRequests"), code == "ServiceUnavailable",
			code == "InternalFailure", code == "InternalError", code == "InternalServerException", ae.ErrorFault() == smithy.FaultServer:
			return fmt.Errorf("%w: %v", channel.ErrTransient, err)
		case code == "MessageRejected", code == "InvalidParameter", code == "InvalidParameterValue", code == "ValidationException",
			code == "BadRequestException", code == "AccountSuspendedException", code == "NotFoundException", code == "OptedOut":
			return fmt.Errorf("%w: %v", channel.ErrPermanent, err)
		}
	}
	return fmt.Errorf("%w: %v", channel.ErrTransient, err)
}

// SESSender sends e-mail with Amazon SES v2.
type SESSender struct {
	Client *sesv2.Client
	From   string // a verified identity, e.g. "Demo Shop <pay@shop.example>"
}

// Send implements Sender.
func (s *SESSender) Send(ctx context.Context, m channel.Message) (string, error) {
	out, err := s.Client.SendEmail(ctx, &sesv2.SendEmailInput{
		FromEmailAddress: aws.String(s.From),
		Destination:      &sestypes.Destination{ToAddresses: []string{m.To}},
		Content: &sestypes.EmailContent{Simple: &sestypes.Message{
			Subject: &sestypes.Content{Data: aws.String(m.Subject), Charset: aws.String("UTF-8")},
			Body: &sestypes.Body{
				Text: &sestypes.Content{Data: aws.String(m.Text), Charset: aws.String("UTF-8")},
				Html: &sestypes.Content{Data: aws.String(m.HTML), Charset: aws.String("UTF-8")},
			},
		}},
		EmailTags: []sestypes.MessageTag{{Name: aws.String("link"), Value: aws.String(m.LinkID)}},
	})
	if err != nil {
		return "", classify(err)
	}
	return aws.ToString(out.MessageId), nil
}

// SNSSender sends SMS with Amazon SNS (transactional).
type SNSSender struct {
	Client   *sns.Client
	SenderID string
}

// Send implements Sender.
func (s *SNSSender) Send(ctx context.Context, m channel.Message) (string, error) {
	attrs := map[string]snstypes.MessageAttributeValue{
		"AWS.SNS.SMS.SMSType": {DataType: aws.String("String"), StringValue: aws.String("Transactional")},
	}
	if s.SenderID != "" {
		attrs["AWS.SNS.SMS.SenderID"] = snstypes.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(s.SenderID)}
	}
	out, err := s.Client.Publish(ctx, &sns.PublishInput{PhoneNumber: aws.String(m.To), Message: aws.String(m.Text), MessageAttributes: attrs})
	if err != nil {
		return "", classify(err)
	}
	return aws.ToString(out.MessageId), nil
}

// WhatsAppSender sends through AWS End User Messaging Social (the WhatsApp Cloud
// API message format).
type WhatsAppSender struct {
	Client        *socialmessaging.Client
	PhoneNumberID string // the origination phone number id
	MetaAPI       string // Meta API version, e.g. "v20.0"
}

// Send implements Sender.
func (s *WhatsAppSender) Send(ctx context.Context, m channel.Message) (string, error) {
	body, _ := json.Marshal(map[string]any{"messaging_product": "whatsapp", "to": m.To, "type": "text",
		"text": map[string]any{"preview_url": true, "body": m.Text}})
	out, err := s.Client.SendWhatsAppMessage(ctx, &socialmessaging.SendWhatsAppMessageInput{
		OriginationPhoneNumberId: aws.String(s.PhoneNumberID), MetaApiVersion: aws.String(s.MetaAPI), Message: body,
	})
	if err != nil {
		return "", classify(err)
	}
	return aws.ToString(out.MessageId), nil
}
