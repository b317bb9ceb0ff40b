// Package structure holds no code: its test asserts the repository's
// dependency rules (which packages each function and the CDK app link, which
// way shared packages depend on each other) with `go list -deps -json`, and
// that no tracked file over 1 MB lives outside testdata/.
package structure
