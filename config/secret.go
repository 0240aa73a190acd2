package config

import "log/slog"

// Secret is a token or key. It prints, logs and marshals as "<secret>" so
// it cannot leak into logs or replies; use string(s) where the value is
// needed.
type Secret string

const redacted = "<secret>"

// String returns "<secret>" (or "" when unset).
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redacted
}

// GoString hides the value from %#v.
func (s Secret) GoString() string { return s.String() }

// LogValue hides the value from log/slog.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalText hides the value from encoders (JSON, YAML).
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }
