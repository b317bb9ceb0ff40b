package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// listenState is what listen keeps between runs, per API URL and key
// prefix: the local webhook secret it signs with and the last event it
// read (forwarded, or with --types passed over: the feed's cursor).
type listenState struct {
	APIURL      string `json:"api_url"`
	KeyPrefix   string `json:"key_prefix"`
	Secret      string `json:"secret"`
	LastEventID string `json:"last_event_id,omitempty"`
}

// keyPrefix is the part of an API key that names it without being the
// secret: its mode and first characters (sk_test_abcdefgh).
func keyPrefix(key string) string {
	const n = len("sk_test_") + 8
	if len(key) <= n {
		return key[:len(key)/2]
	}
	return key[:n]
}

// statePath is the state file of apiURL and apiKey in dir.
func statePath(dir, apiURL, apiKey string) string {
	sum := sha256.Sum256([]byte(apiURL + "\n" + keyPrefix(apiKey)))
	return filepath.Join(dir, "listen-"+hex.EncodeToString(sum[:8])+".json")
}

// defaultStateDir is os.UserConfigDir()/paylinks.
func defaultStateDir() (string, error) {
	d, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("no state directory (pass --state-dir): %w", err)
	}
	return filepath.Join(d, "paylinks"), nil
}

// loadState reads the state file at path; a missing one is an empty state.
func loadState(path string) (listenState, error) {
	var s listenState
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return s, fmt.Errorf("read the state %s: %w", path, err)
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return s, fmt.Errorf("the state %s is damaged (remove it to start over): %w", path, err)
	}
	return s, nil
}

// save writes the state atomically (a temporary file renamed), readable by
// its owner only: it holds the secret.
func (s listenState) save(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("state directory: %w", err)
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".listen-*")
	if err != nil {
		return fmt.Errorf("write the state: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("write the state: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write the state: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write the state: %w", err)
	}
	return nil
}
