// Package archtest holds the test that enforces spreadwatch's dependency
// rule; it has no code of its own.
package archtest
