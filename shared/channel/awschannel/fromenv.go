package awschannel

import (
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/socialmessaging"
	"github.com/paylinks/paylinks/shared/channel"
)

// FromEnv builds the AWS senders the environment configures: EMAIL_FROM
// (SES v2), SMS_ENABLED=1 (SNS, SMS_SENDER_ID optional),
// WHATSAPP_PHONE_NUMBER_ID (End User Messaging Social). A channel left out
// fails its messages permanently ("not configured"), on the timeline.
func FromEnv(cfg aws.Config) channel.Registry {
	r := channel.Registry{}
	if from := os.Getenv("EMAIL_FROM"); from != "" {
		r[channel.Email] = &SESSender{Client: sesv2.NewFromConfig(cfg), From: from}
	}
	if os.Getenv("SMS_ENABLED") == "1" {
		r[channel.SMS] = &SNSSender{Client: sns.NewFromConfig(cfg), SenderID: os.Getenv("SMS_SENDER_ID")}
	}
	if id := os.Getenv("WHATSAPP_PHONE_NUMBER_ID"); id != "" {
		r[channel.WhatsApp] = &WhatsAppSender{Client: socialmessaging.NewFromConfig(cfg), PhoneNumberID: id, MetaAPI: "v20.0"}
	}
	return r
}
