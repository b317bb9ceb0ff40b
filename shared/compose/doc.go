// Package compose is where each function is put together: compose/<name>
// builds function <name> from the parts its boot.Env hands out, and
// nothing else, so that functions/<name>/main.go is two lines and its
// binary links only what it runs. Each constructor builds its part
// complete from the Env (its clock, its options, its shared parts): nobody
// sets a field of a composed part afterwards. The dev server and the tests
// build every function with the same constructors on one Env
// (shared/service).
package compose
