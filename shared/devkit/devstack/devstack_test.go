package devstack

import (
	"errors"
	"os"
	"strings"
	"testing"
)

func TestWriteThenRead(t *testing.T) {
	dir := t.TempDir()
	s := Stack{Table: "paylinks-dev", Region: "eu-west-1", DynamoDB: "http://127.0.0.1:28000", SQS: "http://127.0.0.1:29325",
		Cognito: "http://127.0.0.1:29324", URL: "http://127.0.0.1:8090", RunDir: dir}
	if err := Write(dir, s); err != nil {
		t.Fatal(err)
	}
	s.Table = "paylinks-other" // a later start replaces the record
	if err := Write(dir, s); err != nil {
		t.Fatal(err)
	}
	got, err := Read(dir)
	if err != nil || got != s {
		t.Fatalf("Read = %+v, %v; want %+v", got, err, s)
	}
	if fi, err := os.Stat(Path(dir)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("the record's mode: %v %v", fi, err)
	}
	if left, _ := os.ReadDir(dir); len(left) != 1 {
		t.Errorf("Write left %d files in the directory", len(left))
	}
	if got.String() != "table paylinks-other at http://127.0.0.1:28000 (eu-west-1)" {
		t.Errorf("String = %q", got.String())
	}
}

func TestReadRefuses(t *testing.T) {
	dir := t.TempDir()
	if _, err := Read(dir); !errors.Is(err, ErrNone) || !strings.Contains(err.Error(), Path(dir)) {
		t.Errorf("no record: %v (want ErrNone naming %s)", err, Path(dir))
	}
	for _, body := range []string{"{", `{"table":"t"}`, `{"region":"us-east-1"}`} {
		if err := os.WriteFile(Path(dir), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := Read(dir); err == nil || errors.Is(err, ErrNone) || !strings.Contains(err.Error(), Path(dir)) {
			t.Errorf("record %q: %v (want an error naming the file)", body, err)
		}
	}
}
