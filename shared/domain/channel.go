package domain

import "strings"

// Channels a link is sent on.
const (
	ChannelEmail    = "email"
	ChannelSMS      = "sms"
	ChannelWhatsApp = "whatsapp"
)

// Channels lists every channel, in the order a reminder picks one.
var Channels = []string{ChannelEmail, ChannelSMS, ChannelWhatsApp}

// ChannelMessage is the error of an unknown channel: the known ones.
var ChannelMessage = "must be one of " + strings.Join(Channels, ", ")

// ValidChannel reports a known channel.
func ValidChannel(c string) bool { return c == ChannelEmail || c == ChannelSMS || c == ChannelWhatsApp }

// Address is where the customer is reached on a channel: "" when they have
// no address for it.
func (c Customer) Address(ch string) string {
	switch ch {
	case ChannelEmail:
		return c.Email
	case ChannelSMS, ChannelWhatsApp:
		return c.Phone
	}
	return ""
}

// DefaultChannel is the channel a reminder uses when none was named: the
// first the customer has an address for, or "".
func (c Customer) DefaultChannel() string {
	for _, ch := range Channels {
		if c.Address(ch) != "" {
			return ch
		}
	}
	return ""
}
