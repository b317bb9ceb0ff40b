package webhook

import "errors"

// Validate refuses a message the apply worker can never apply (queue.Typed
// makes that a permanent failure, left to the DLQ).
func (m *Message) Validate() error {
	if m.Merchant == "" || m.Provider == "" || m.Event.ID == "" {
		return errors.New("message lacks merchant, provider or event id")
	}
	return nil
}
