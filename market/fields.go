package market

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// need says whether a key must be present and whether it may be null.
type need int

const (
	optional need = iota // may be missing or null
	nullable             // must be present, may be null (unknown)
	required             // must be present and not null
)

// obj is one JSON object of a feed being decoded, or one CSV row shaped
// like one. Values are what encoding/json produces with UseNumber: nil,
// bool, string, json.Number, map[string]any and []any; CSV cells are
// strings, or nil when empty.
type obj struct {
	m map[string]any
	// path names the object in messages, with ids where known:
	// "issuers[CRWV].bonds[CRWV-9.25-2030]"; "" at the top.
	path string
	// where locates the object without ambiguity, for duplicate reports:
	// "issuers[0].bonds[2]" or "bonds.csv:4".
	where string
	// csv is set for a CSV row; nest is then the JSON key prefix of a
	// nested object ("capacity.").
	csv  *csvTable
	nest string
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// at returns the message path of key in o.
func (o obj) at(key string) string {
	if o.csv != nil {
		return o.where + ": " + o.csv.column(o.nest+key)
	}
	return joinPath(o.path, key)
}

// whereAt returns the unambiguous location of key in o.
func (o obj) whereAt(key string) string {
	if o.csv != nil {
		return o.at(key)
	}
	return joinPath(o.where, key)
}

// child returns the nested object m found at key.
func (o obj) child(key string, m map[string]any) obj {
	if o.csv != nil {
		return obj{m: m, path: o.path, where: o.where, csv: o.csv, nest: o.nest + key + "."}
	}
	return obj{m: m, path: o.at(key), where: joinPath(o.where, key)}
}

// item returns element i of the array at key, labelled by its string
// labelKey ("id", "ticker") when it has one.
func (o obj) item(key string, i int, m map[string]any, labelKey string) obj {
	idx := "[" + strconv.Itoa(i) + "]"
	label := idx
	if s, ok := m[labelKey].(string); ok && s != "" {
		label = "[" + s + "]"
	}
	return obj{m: m, path: o.at(key) + label, where: joinPath(o.where, key) + idx}
}

// jsonType names the JSON type of a decoded value.
func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case json.Number, float64:
		return "number"
	case map[string]any:
		return "object"
	case []any:
		return "array"
	}
	return fmt.Sprintf("%T", v)
}

// got describes a value that did not fit: a string quoted, a number as
// written, otherwise its JSON type.
func got(v any) string {
	switch v := v.(type) {
	case string:
		return quote(v)
	case json.Number:
		if len(v) > 40 {
			return "number"
		}
		return string(v)
	}
	return jsonType(v)
}

// decoder turns decoded JSON (or CSV rows) into a Snapshot, collecting
// every problem on the way.
type decoder struct {
	problems
	// first locations of each kind of id, for duplicate reports; tickers
	// are keyed in lower case.
	tickers, benchIDs, bondIDs, projectIDs, offtakeIDs map[string]string
}

func newDecoder() *decoder {
	return &decoder{
		tickers:    make(map[string]string),
		benchIDs:   make(map[string]string),
		bondIDs:    make(map[string]string),
		projectIDs: make(map[string]string),
		offtakeIDs: make(map[string]string),
	}
}

// get returns the value at key, reporting a missing required key or a
// null where null is not allowed (want says what was wanted). It reports
// false when there is no usable value.
func (d *decoder) get(o obj, key string, n need, want string) (any, bool) {
	v, ok := o.m[key]
	if !ok {
		if n != optional {
			d.missing(o, key)
		}
		return nil, false
	}
	if v == nil {
		if n == required {
			if o.csv != nil {
				d.add(o.at(key), "want "+want+", got an empty cell")
			} else {
				d.add(o.at(key), "want "+want+", got null")
			}
		}
		return nil, false
	}
	return v, true
}

func (d *decoder) missing(o obj, key string) {
	if o.csv != nil {
		d.add(o.csv.name, fmt.Sprintf("required column %q missing", o.csv.column(o.nest+key)))
		return
	}
	d.add(o.at(key), "required key missing")
}

// text reads a string.
func (d *decoder) text(o obj, key string, n need) string {
	v, ok := d.get(o, key, n, "a string")
	if !ok {
		return ""
	}
	s, ok := v.(string)
	if !ok {
		d.add(o.at(key), "want a string, got "+jsonType(v))
	}
	return s
}

// id reads a required, non-empty identifier and reports it if seen
// already holds it. Tickers (fold) are compared without regard to case.
func (d *decoder) id(o obj, key string, fold bool, seen map[string]string) string {
	s := d.text(o, key, required)
	if _, ok := o.m[key].(string); !ok {
		return s
	}
	if strings.TrimSpace(s) == "" {
		d.add(o.at(key), "want a non-empty string, got "+quote(s))
		return s
	}
	k := s
	if fold {
		k = strings.ToLower(s)
	}
	if first, dup := seen[k]; dup {
		d.add(o.whereAt(key), fmt.Sprintf("duplicate %s %s (first at %s)", key, quote(s), first))
		return s
	}
	seen[k] = o.where
	return s
}

// wantFor says what a number of dimension dim may look like.
func wantFor(dim Dimension) string {
	switch dim {
	case DimRate:
		return `a percent number or "6.125%"`
	case DimMoney:
		return `a dollar amount or "$2.35bn"`
	case DimPower:
		return `megawatts or "1.5GW"`
	case DimDuration:
		return `days or "6mo"`
	}
	return "a number"
}

// number reads a number in dimension dim: a JSON number, or a string in
// the unit grammar whose unit fits dim (a plain number always fits).
func (d *decoder) number(o obj, key string, n need, dim Dimension) *float64 {
	want := wantFor(dim)
	v, ok := d.get(o, key, n, want)
	if !ok {
		return nil
	}
	f, ok := toNumber(v, dim)
	if !ok {
		d.add(o.at(key), "want "+want+", got "+got(v))
		return nil
	}
	return &f
}

// toNumber converts a JSON number or unit string to a finite float64 in
// dimension dim.
func toNumber(v any, dim Dimension) (float64, bool) {
	switch v := v.(type) {
	case json.Number:
		f, err := strconv.ParseFloat(string(v), 64)
		return f, err == nil && !math.IsInf(f, 0) && !math.IsNaN(f)
	case string:
		f, qd, err := ParseQuantity(v)
		return f, err == nil && (qd == DimNumber || qd == dim)
	}
	return 0, false
}

// boolean reads true or false; the strings "true", "false", "yes" and
// "no" (any case) are accepted too, as spreadsheets write them.
func (d *decoder) boolean(o obj, key string, n need) *bool {
	const want = "true or false"
	v, ok := d.get(o, key, n, want)
	if !ok {
		return nil
	}
	var b bool
	switch v := v.(type) {
	case bool:
		b = v
	case string:
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "true", "yes":
			b = true
		case "false", "no":
			b = false
		default:
			d.add(o.at(key), "want "+want+", got "+got(v))
			return nil
		}
	default:
		d.add(o.at(key), "want "+want+", got "+got(v))
		return nil
	}
	return &b
}

// window reads a DATE-WINDOW. A JSON number is read as its text, so a
// year written as 2026 is accepted.
func (d *decoder) window(o obj, key string, n need) Window {
	v, ok := d.get(o, key, n, windowForms)
	if !ok {
		return Window{}
	}
	var s string
	switch v := v.(type) {
	case string:
		s = v
	case json.Number:
		s = string(v)
	default:
		d.add(o.at(key), "want "+windowForms+", got "+jsonType(v))
		return Window{}
	}
	w, err := ParseWindow(s)
	if err != nil {
		d.add(o.at(key), err.Error())
		return Window{}
	}
	return w
}

// object reads a nested object.
func (d *decoder) object(o obj, key string, n need) (obj, bool) {
	v, ok := d.get(o, key, n, "an object")
	if !ok {
		return obj{}, false
	}
	m, ok := v.(map[string]any)
	if !ok {
		d.add(o.at(key), "want an object, got "+jsonType(v))
		return obj{}, false
	}
	return o.child(key, m), true
}

// stringList reads a list of strings; in a CSV cell the items are separated
// by ";". An empty list is nil.
func (d *decoder) stringList(o obj, key string) []string {
	v, ok := d.get(o, key, optional, "an array of strings")
	if !ok {
		return nil
	}
	if s, ok := v.(string); ok && o.csv != nil {
		var out []string
		for item := range strings.SplitSeq(s, ";") {
			if item = strings.TrimSpace(item); item != "" {
				out = append(out, item)
			}
		}
		return out
	}
	arr, ok := v.([]any)
	if !ok {
		d.add(o.at(key), "want an array of strings, got "+jsonType(v))
		return nil
	}
	var out []string
	for i, e := range arr {
		s, ok := e.(string)
		if !ok {
			d.add(o.at(key)+"["+strconv.Itoa(i)+"]", "want a string, got "+jsonType(e))
			continue
		}
		out = append(out, s)
	}
	return out
}

// decodeList reads the array at key, decoding each element, which must be
// an object, with fn. Elements are labelled in paths by their labelKey. An
// empty array is nil.
func decodeList[T any](d *decoder, o obj, key string, n need, labelKey string, fn func(obj) T) []T {
	v, ok := d.get(o, key, n, "an array")
	if !ok {
		return nil
	}
	arr, ok := v.([]any)
	if !ok {
		d.add(o.at(key), "want an array, got "+jsonType(v))
		return nil
	}
	if len(arr) == 0 {
		return nil
	}
	out := make([]T, 0, len(arr))
	for i, e := range arr {
		m, ok := e.(map[string]any)
		if !ok {
			d.add(o.at(key)+"["+strconv.Itoa(i)+"]", "want an object, got "+jsonType(e))
			continue
		}
		out = append(out, fn(o.item(key, i, m, labelKey)))
	}
	return out
}

// rating reads a rating: null, an object whose "sp" member is used, or a
// plain string.
func (d *decoder) rating(o obj, key string) string {
	v, ok := d.get(o, key, optional, "a rating")
	if !ok {
		return ""
	}
	switch v := v.(type) {
	case string:
		return v
	case map[string]any:
		return d.text(o.child(key, v), "sp", optional)
	}
	d.add(o.at(key), `want a rating such as {"sp": "BB-"} or "BB-", got `+jsonType(v))
	return ""
}

// metrics reads free-form numeric facts. Values that are not numbers or
// unit strings (notes, source lists, nested objects) are skipped; no
// metrics at all is nil.
func (d *decoder) metrics(o obj, key string) map[string]float64 {
	v, ok := d.get(o, key, optional, "an object")
	if !ok {
		return nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		d.add(o.at(key), "want an object, got "+jsonType(v))
		return nil
	}
	var out map[string]float64
	for k, mv := range m {
		f, ok := metricValue(mv)
		if !ok {
			continue
		}
		if out == nil {
			out = make(map[string]float64)
		}
		out[k] = f
	}
	return out
}

// metricValue returns the value of a metric given as a JSON number or a
// string in the unit grammar (in its base unit).
func metricValue(v any) (float64, bool) {
	switch v := v.(type) {
	case json.Number:
		return toNumber(v, DimNumber)
	case string:
		f, _, err := ParseQuantity(v)
		return f, err == nil
	}
	return 0, false
}
