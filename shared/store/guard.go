package store

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/paylinks/paylinks/shared/domain"
)

// statusGuard returns the condition that the link's status is one of in
// (`#status = :from0`, or `#status IN (:from0, :from1, ...)`), adding #status
// to names and :fromN to values. The statuses come from the domain (From,
// FromOpen, Deletable, ...), never from a list written here by hand.
func statusGuard(names map[string]string, values map[string]types.AttributeValue, in []domain.Status) (string, error) {
	if len(in) == 0 {
		return "", errors.New("status guard: no status to move from")
	}
	ph := make([]string, len(in))
	for i, s := range in {
		ph[i] = ":from" + strconv.Itoa(i)
		if _, taken := values[ph[i]]; taken {
			return "", fmt.Errorf("status guard: %s already has a value", ph[i])
		}
		values[ph[i]] = sv(string(s))
	}
	names["#status"] = "status"
	if len(ph) == 1 {
		return "#status = " + ph[0], nil
	}
	return "#status IN (" + strings.Join(ph, ", ") + ")", nil
}
