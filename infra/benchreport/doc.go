package main

import (
	"fmt"
	"os"
	"strings"
)

// The markers between which -doc writes the report; everything else in
// the page is left as it is.
const (
	docBegin = "<!-- bench:begin -->"
	docEnd   = "<!-- bench:end -->"
)

// WriteDoc replaces what lies between the page's bench markers with stamp
// (a line saying when and at which commit) and the report in a code block.
// A page without the two markers, in that order, is an error and is left
// as it was.
func WriteDoc(path, stamp, report string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	out, err := replaceBetween(string(b), stamp, report)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

func replaceBetween(page, stamp, report string) (string, error) {
	i := strings.Index(page, docBegin)
	j := strings.Index(page, docEnd)
	if i < 0 || j < i || strings.Count(page, docBegin) != 1 || strings.Count(page, docEnd) != 1 {
		return "", fmt.Errorf("no single %s ... %s pair to write the tables between", docBegin, docEnd)
	}
	block := docBegin + "\n" + stamp + "\n\n```\n" + strings.TrimRight(report, "\n") + "\n```\n" + docEnd
	return page[:i] + block + page[j+len(docEnd):], nil
}
