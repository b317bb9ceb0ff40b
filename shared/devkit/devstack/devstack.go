// Package devstack is the record of the stack a `make dev` runs: its table,
// region, the emulators' endpoints and its state directory. The dev server
// writes it into the state directory (stack.json) once the table and
// queues are there; the operators' admin command (infra/admin) reads it to
// act on that stack's table and on no other (several stacks on other
// ports may share a machine).
package devstack

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// File is the record's name in the state directory.
const File = "stack.json"

// Stack is one make dev's stack. An empty endpoint is AWS's own.
type Stack struct {
	Table  string `json:"table"`
	Region string `json:"region"`
	// DynamoDB is the table's endpoint (DynamoDB Local's).
	DynamoDB string `json:"dynamodb_endpoint"`
	// SQS is the queues' endpoint (ElasticMQ's).
	SQS string `json:"sqs_endpoint"`
	// Cognito is the user pool's endpoint (moto's cognito-idp).
	Cognito string `json:"cognito_endpoint"`
	// URL is the dev server's base URL.
	URL string `json:"url"`
	// RunDir is the state directory (absolute): the dev secrets.
	RunDir string `json:"run_dir"`
}

// ErrNone is Read's error when the directory holds no record.
var ErrNone = errors.New("no make dev stack recorded")

// Path is the record's path in the state directory dir.
func Path(dir string) string { return filepath.Join(dir, File) }

// Write records s in the state directory dir, replacing an earlier record
// at once (a reader sees the old or the new one, whole).
func Write(dir string, s Stack) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("record the stack: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".stack-*.json")
	if err != nil {
		return fmt.Errorf("record the stack: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("record the stack in %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("record the stack in %s: %w", tmp.Name(), err)
	}
	if err := os.Rename(tmp.Name(), Path(dir)); err != nil {
		return fmt.Errorf("record the stack: %w", err)
	}
	return nil
}

// Read is the stack recorded in the state directory dir; ErrNone (wrapped,
// naming the file) when there is none.
func Read(dir string) (Stack, error) {
	p := Path(dir)
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return Stack{}, fmt.Errorf("%w in %s", ErrNone, p)
	}
	if err != nil {
		return Stack{}, fmt.Errorf("read the make dev stack: %w", err)
	}
	var s Stack
	if err := json.Unmarshal(b, &s); err != nil {
		return Stack{}, fmt.Errorf("%s: %w", p, err)
	}
	if s.Table == "" || s.Region == "" {
		return Stack{}, fmt.Errorf("%s names no table or no region", p)
	}
	return s, nil
}

// String names the stack's table where it is.
func (s Stack) String() string {
	at := s.DynamoDB
	if at == "" {
		at = "AWS"
	}
	return fmt.Sprintf("table %s at %s (%s)", s.Table, at, s.Region)
}
