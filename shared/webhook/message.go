package webhook

import (
	"encoding/json"
	"fmt"

	"github.com/paylinks/paylinks/shared/queue"
)

func decode(body string) (Message, error) {
	var msg Message
	if err := json.Unmarshal([]byte(body), &msg); err != nil {
		return msg, fmt.Errorf("%w: malformed message: %v", queue.ErrPermanent, err)
	}
	if msg.Merchant == "" || msg.Provider == "" || msg.Event.ID == "" {
		return msg, fmt.Errorf("%w: message lacks merchant, provider or event id", queue.ErrPermanent)
	}
	return msg, nil
}
