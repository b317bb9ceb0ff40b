package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/paylinks/paylinks/shared/domain"
)

// ImportCustomer writes a CSV row's customer as POST /v1/customers does:
// with a customer number that exists, that customer changed by in (nil
// fields kept); otherwise a new one. The customer, its index items, its
// audit entry and the row's marker and counter are one transaction, so a
// redelivered row changes nothing twice (ErrRowDone). It answers "created"
// or "updated"; in's field errors, ErrCustomerNumberTaken and
// domain.ErrCustomerArchived (an erased customer) as they are. Retried on a
// concurrent change.
func (s *Customers) ImportCustomer(ctx context.Context, in domain.CustomerInput, row ImportRow, now time.Time) (string, error) {
	m := row.Merchant
	for try := 0; ; try++ {
		cur, err := s.importTarget(ctx, m, in, row)
		if err != nil {
			return "", err
		}
		next, action, err := importedCustomer(in, cur, now)
		if err != nil {
			return "", err
		}
		items, _, err := s.customerWrites(m, cur, &next)
		if err != nil {
			return "", err
		}
		audit, err := s.AuditPut(m, NewAuditEntry(ctx, now, action, next.ID, nil, map[string]any{"import_id": row.ImportID, "row": row.Row}))
		if err != nil {
			return "", err
		}
		items = append(items, audit)
		rowAt := len(items)
		items = append(items, row.items(s.tbl())...)
		_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
		if err == nil {
			return strings.TrimPrefix(action, "customer."), nil
		}
		if reasons, ok := cancelReasons(err); ok {
			if rowAt < len(reasons) && reasons[rowAt] == "ConditionalCheckFailed" {
				return "", ErrRowDone
			}
			taken := customerNumberTaken(err, &next, 0)
			if try < 3 && (taken || (len(reasons) > 0 && reasons[0] == "ConditionalCheckFailed")) {
				continue // changed, or its number made, meanwhile: read again
			}
			if taken {
				return "", ErrCustomerNumberTaken
			}
		}
		return "", fmt.Errorf("import customer row %d: %w", row.Row, err)
	}
}

// importTarget is the customer a row's customer number names (nil: none).
func (s *Customers) importTarget(ctx context.Context, m string, in domain.CustomerInput, row ImportRow) (*customerItem, error) {
	if in.CustomerNumber == nil || strings.TrimSpace(*in.CustomerNumber) == "" {
		return nil, nil
	}
	c, err := s.CustomerByNumber(ctx, m, strings.TrimSpace(*in.CustomerNumber))
	if errors.Is(err, domain.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("import customer row %d: %w", row.Row, err)
	}
	cur, err := s.getCustomerItem(ctx, m, c.ID)
	if err != nil {
		return nil, fmt.Errorf("import customer row %d: customer %s: %w", row.Row, c.ID, err)
	}
	return cur, nil
}

// importedCustomer is the row applied to the customer it updates (or a new
// one), and the audit action.
func importedCustomer(in domain.CustomerInput, cur *customerItem, now time.Time) (domain.CustomerRecord, string, error) {
	base, action := domain.CustomerRecord{}, "customer.created"
	if cur != nil {
		if cur.Erased {
			return base, "", domain.ErrCustomerArchived
		}
		base, action = cur.CustomerRecord, "customer.updated"
	}
	next, err := in.Apply("", base)
	if err != nil {
		return next, "", err
	}
	if cur == nil {
		next.ID, next.Created = domain.NewID("cus_", now), now
		if next.Metadata == nil {
			next.Metadata = map[string]string{}
		}
	}
	next.Updated = now
	return next, action, nil
}
