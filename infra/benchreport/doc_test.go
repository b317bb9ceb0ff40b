package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The cold-start table puts the floor first and each function beside it,
// with what it adds, and names the functions over the budget.
func TestColdStartTableAgainstTheFloor(t *testing.T) {
	out := `BenchmarkColdStart/hello-2   1  1 ns/op  16.00 cold-ms  0.4000 warm-ms  5.500 size-MB
BenchmarkColdStart/api-2     1  1 ns/op  40.00 cold-ms  3.100 warm-ms  11.40 size-MB
BenchmarkColdStart/sweep-2   1  1 ns/op  64.00 cold-ms  27.50 warm-ms  10.30 size-MB
bench: stage ops took 95 s (exit 0)
bench: stage cold-start took 70 s (exit 0)
`
	results, stages := ParseAll(strings.NewReader(out))
	rep := Build(results, "testdata/prices.json", "testdata/heat.json", &bytes.Buffer{})
	rep.Stages = stages
	var b bytes.Buffer
	Print(&b, rep)
	got := b.String()
	for _, want := range []string{"hello (floor)", "api", "24.0", "2.50", "OVER", "over the budget: sweep", "budget 50 ms", "<= 50 ms", "warm ms", "27.5",
		"Stages of make bench", "cold-start", "total"} {
		if !strings.Contains(got, want) {
			t.Errorf("report lacks %q:\n%s", want, got)
		}
	}
	if strings.Index(got, "hello (floor)") > strings.Index(got, "  api ") {
		t.Errorf("the floor is not first:\n%s", got)
	}
	if len(stages) != 2 || stages[1] != (Stage{"cold-start", 70}) {
		t.Errorf("stages %+v", stages)
	}
}

// WriteDoc replaces what lies between the markers and nothing else, the
// same way every time; a page without them is refused and left as it was.
func TestWriteDocBetweenMarkers(t *testing.T) {
	dir := t.TempDir()
	page := filepath.Join(dir, "performance.md")
	before := "# Performance\n\nintro\n\n" + docBegin + "\nold tables\n" + docEnd + "\n\n## After\n\nkept\n"
	if err := os.WriteFile(page, []byte(before), 0o644); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if err := WriteDoc(page, "Written by `make bench` on today.", "paylinks performance (make bench)\n  table\n"); err != nil {
			t.Fatal(err)
		}
	}
	got, _ := os.ReadFile(page)
	want := "# Performance\n\nintro\n\n" + docBegin + "\nWritten by `make bench` on today.\n\n```\npaylinks performance (make bench)\n  table\n```\n" + docEnd + "\n\n## After\n\nkept\n"
	if string(got) != want {
		t.Fatalf("page:\n%s\nwant:\n%s", got, want)
	}
	bare := filepath.Join(dir, "bare.md")
	if err := os.WriteFile(bare, []byte("no markers\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteDoc(bare, "s", "r"); err == nil {
		t.Fatal("a page without markers was written")
	}
	if got, _ := os.ReadFile(bare); string(got) != "no markers\n" {
		t.Fatalf("the page without markers changed: %q", got)
	}
}
