package domain

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// The created event's data keys of a send asked for at creation: the
// table's stream queues it from there even when the queue cannot be reached
// at creation.
const (
	EventSendChannel = "send_channel"
	EventSendID      = "send_id"
)

// DerivedSendID is the send id of a send that what made it identifies (a
// link and an Idempotency-Key, an import row): the send worker sends each
// send id once, so the request retried, or the message handled twice, sends
// once. kind keeps the sends of different routes apart.
func DerivedSendID(kind string, parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return "snd_" + kind + hex.EncodeToString(sum[:13])
}

// RequestSend records a send asked for at creation in the created event.
func RequestSend(ev *Event, channel, sendID string) {
	if ev.Data == nil {
		ev.Data = map[string]string{}
	}
	ev.Data[EventSendChannel] = channel
	ev.Data[EventSendID] = sendID
}
