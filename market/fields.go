package market

import (
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

// valueKind is the JSON type of a value.
type valueKind uint8

const (
	kindNull valueKind = iota
	kindBool
	kindString
	kindNumber
	kindObject
	kindArray
)

// value is one value of a feed: a JSON value kept as written until a
// reader converts it, or a CSV cell (a string) or group of cells (an
// object).
type value struct {
	kind valueKind
	// raw is a JSON value as written; strings keep their quotes.
	raw []byte
	// n counts the objects in a JSON array (see skipValueCount).
	n int
	// s is a CSV cell; m is a CSV object such as "capacity".
	s string
	m map[string]any
}

// jsonValue returns the JSON value raw, which validJSON has accepted.
func jsonValue(raw []byte) value {
	v := value{raw: raw}
	if len(raw) == 0 {
		return v
	}
	switch raw[0] {
	case 'n':
		v.kind = kindNull
	case 't', 'f':
		v.kind = kindBool
	case '"':
		v.kind = kindString
	case '{':
		v.kind = kindObject
	case '[':
		v.kind = kindArray
	default:
		v.kind = kindNumber
	}
	return v
}

// csvValue returns a value of a CSV row: nil for an empty cell, a string,
// or a map[string]any for a nested object.
func csvValue(x any) value {
	switch x := x.(type) {
	case string:
		return value{kind: kindString, s: x}
	case map[string]any:
		return value{kind: kindObject, m: x}
	}
	return value{kind: kindNull}
}

// str returns the contents of a string value.
func (v value) str() string {
	if v.raw == nil {
		return v.s
	}
	return unquote(v.raw)
}

// boolean returns the value of a JSON true or false.
func (v value) boolean() bool { return len(v.raw) > 0 && v.raw[0] == 't' }

// obj is one JSON object of a feed being decoded, or one CSV row shaped
// like one.
type obj struct {
	// members are those of a JSON object, in document order; m holds a
	// CSV row (see csvValue).
	members []member
	m       map[string]any
	// depth is the nesting of a JSON object, 0 at the top; it picks the
	// decoder's buffer for members.
	depth int
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

// lookup returns the value at key. When a JSON object has the key more
// than once, the last one counts, as with encoding/json.
func (o obj) lookup(key string) (value, bool) {
	if o.csv != nil {
		x, ok := o.m[key]
		return csvValue(x), ok
	}
	for i := len(o.members) - 1; i >= 0; i-- {
		if m := &o.members[i]; string(m.key) == key {
			v := jsonValue(m.val)
			v.n = m.n
			return v, true
		}
	}
	return value{}, false
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

// members returns the members of the JSON object starting at data[i],
// at nesting depth, in a buffer that is reused for the next object at
// that depth, and the offset just past the object.
func (d *decoder) members(data []byte, i, depth int) ([]member, int) {
	for len(d.bufs) <= depth {
		d.bufs = append(d.bufs, nil)
	}
	var end int
	d.bufs[depth], end = appendMembers(d.bufs[depth][:0], data, i)
	return d.bufs[depth], end
}

// root returns the top-level object of a JSON feed.
func (d *decoder) root(v value) obj {
	m, _ := d.members(v.raw, 0, 0)
	return obj{members: m}
}

// child returns the nested object v found at key.
func (d *decoder) child(o obj, key string, v value) obj {
	if o.csv != nil {
		return obj{m: v.m, path: o.path, where: o.where, csv: o.csv, nest: o.nest + key + "."}
	}
	m, _ := d.members(v.raw, 0, o.depth+1)
	return obj{members: m, depth: o.depth + 1, path: o.at(key), where: joinPath(o.where, key)}
}

// item returns element i of the JSON array at key, the object starting
// at data[start], labelled by its string labelKey ("id", "ticker") when
// it has one that can be shown. It returns the offset just past the
// object too.
func (d *decoder) item(o obj, key string, i int, data []byte, start int, labelKey string) (obj, int) {
	m, end := d.members(data, start, o.depth+1)
	c := obj{members: m, depth: o.depth + 1}
	idx := "[" + strconv.Itoa(i) + "]"
	label := idx
	if v, ok := c.lookup(labelKey); ok && v.kind == kindString {
		if s := v.str(); s != "" && !hasControl(s) {
			label = "[" + s + "]"
		}
	}
	c.path = o.at(key) + label
	c.where = joinPath(o.where, key) + idx
	return c, end
}

// hasControl reports whether s holds an ASCII control character (below
// 0x20, or 0x7f), which would break a line or a table when shown.
func hasControl(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f {
			return true
		}
	}
	return false
}

// jsonType names the JSON type of a value.
func jsonType(v value) string {
	switch v.kind {
	case kindBool:
		return "boolean"
	case kindString:
		return "string"
	case kindNumber:
		return "number"
	case kindObject:
		return "object"
	case kindArray:
		return "array"
	}
	return "null"
}

// got describes a value that did not fit: a string quoted, a number as
// written, otherwise its JSON type.
func got(v value) string {
	switch v.kind {
	case kindString:
		return quote(v.str())
	case kindNumber:
		if len(v.raw) > 40 {
			return "number"
		}
		return string(v.raw)
	}
	return jsonType(v)
}

// decoder turns a JSON feed (or CSV rows) into a Snapshot, collecting
// every problem on the way.
type decoder struct {
	problems
	// first locations of each kind of id, for duplicate reports; tickers
	// are keyed in lower case.
	tickers, benchIDs, bondIDs, projectIDs, offtakeIDs map[string]string
	// bufs holds the members of the JSON object being read at each depth.
	bufs [][]member
	// strs interns short strings that repeat from entity to entity
	// ("senior_notes", "fixed", "2030-06-15").
	strs map[string]string
}

func newDecoder() *decoder {
	return &decoder{
		tickers:    make(map[string]string),
		benchIDs:   make(map[string]string),
		bondIDs:    make(map[string]string),
		projectIDs: make(map[string]string),
		offtakeIDs: make(map[string]string),
		strs:       make(map[string]string),
	}
}

// Limits of interning: strings up to maxInternLen bytes, until
// maxInterned are held.
const (
	maxInternLen = 24
	maxInterned  = 4096
)

// str returns the contents of the string value v, interned when short.
func (d *decoder) str(v value) string {
	if v.raw == nil {
		return d.intern(v.s)
	}
	if in := v.raw[1:max(1, len(v.raw)-1)]; len(in) <= maxInternLen && !needsUnquote(in) {
		if s, ok := d.strs[string(in)]; ok {
			return s
		}
	}
	return d.intern(v.str())
}

// intern returns s, or an equal string seen before.
func (d *decoder) intern(s string) string {
	if len(s) > maxInternLen {
		return s
	}
	if t, ok := d.strs[s]; ok {
		return t
	}
	if len(d.strs) < maxInterned {
		d.strs[s] = s
	}
	return s
}

// get returns the value at key, reporting a missing required key or a
// null where null is not allowed (want says what was wanted). It reports
// false when there is no usable value.
func (d *decoder) get(o obj, key string, n need, want string) (value, bool) {
	v, ok := o.lookup(key)
	if !ok {
		if n != optional {
			d.missing(o, key)
		}
		return value{}, false
	}
	if v.kind == kindNull {
		if n == required {
			if o.csv != nil {
				d.add(o.at(key), "want "+want+", got an empty cell")
			} else {
				d.add(o.at(key), "want "+want+", got null")
			}
		}
		return value{}, false
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

// stringValue reads a value that must be a JSON string, reporting any
// other type; ok is false when the key is absent, null or not a string.
func (d *decoder) stringValue(o obj, key string, n need) (value, bool) {
	v, ok := d.get(o, key, n, "a string")
	if !ok {
		return v, false
	}
	if v.kind != kindString {
		d.add(o.at(key), "want a string, got "+jsonType(v))
		return v, false
	}
	return v, true
}

// text reads a string.
func (d *decoder) text(o obj, key string, n need) string {
	v, ok := d.stringValue(o, key, n)
	if !ok {
		return ""
	}
	return d.str(v)
}

// name reads a string that is shown as a label in tables and messages (a
// name, a ticker), so it may not hold control characters. Names are
// rarely repeated, so they are not interned.
func (d *decoder) name(o obj, key string, n need) string {
	v, ok := d.stringValue(o, key, n)
	if !ok {
		return ""
	}
	s := v.str()
	if hasControl(s) {
		d.add(o.at(key), "contains a control character")
	}
	return s
}

// id reads a required, non-empty identifier without control characters
// and reports it if seen already holds it. Tickers (fold) are compared
// without regard to case.
func (d *decoder) id(o obj, key string, fold bool, seen map[string]string) string {
	v, ok := d.stringValue(o, key, required)
	if !ok {
		return ""
	}
	s := v.str() // ids are unique, not worth interning
	if strings.TrimSpace(s) == "" {
		d.add(o.at(key), "want a non-empty string, got "+quote(s))
		return s
	}
	if hasControl(s) {
		d.add(o.at(key), "contains a control character")
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
// Dollar amounts and megawatts may not be negative.
func (d *decoder) number(o obj, key string, n need, dim Dimension) *float64 {
	want := wantFor(dim)
	v, ok := d.get(o, key, n, want)
	if !ok {
		return nil
	}
	f, ok := d.toNumber(v, dim)
	if !ok {
		d.add(o.at(key), "want "+want+", got "+got(v))
		return nil
	}
	return d.nonNegative(o, key, dim, f, v)
}

// nonNegative returns f, or reports it and returns nil when dim is money
// or power and f is negative. A negative zero becomes zero.
func (d *decoder) nonNegative(o obj, key string, dim Dimension, f float64, v value) *float64 {
	switch dim {
	case DimMoney, DimPower:
		if f < 0 {
			want := "a non-negative dollar amount"
			if dim == DimPower {
				want = "a non-negative number of megawatts"
			}
			d.add(o.at(key), "want "+want+", got "+got(v))
			return nil
		}
		f = max(f, 0) // -0 → 0
	}
	return &f
}

// priceOfPar reads a price in percent of par: a plain number, or a rate
// such as "99.5%", which is 99.5.
func (d *decoder) priceOfPar(o obj, key string) *float64 {
	const want = `a price in percent of par, such as 99.5 or "99.5%"`
	v, ok := d.get(o, key, optional, want)
	if !ok {
		return nil
	}
	f, ok := d.toNumber(v, DimRate)
	if !ok {
		d.add(o.at(key), "want "+want+", got "+got(v))
		return nil
	}
	return &f
}

// toNumber converts a JSON number or unit string to a finite float64 in
// dimension dim.
func (d *decoder) toNumber(v value, dim Dimension) (float64, bool) {
	switch v.kind {
	case kindNumber:
		f, err := strconv.ParseFloat(string(v.raw), 64)
		return f, err == nil && !math.IsInf(f, 0) && !math.IsNaN(f)
	case kindString:
		f, qd, err := ParseQuantity(v.str())
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
	switch v.kind {
	case kindBool:
		b = v.boolean()
	case kindString:
		switch strings.ToLower(strings.TrimSpace(v.str())) {
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
	switch v.kind {
	case kindString:
		s = d.str(v)
	case kindNumber:
		s = string(v.raw)
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
	if v.kind != kindObject {
		d.add(o.at(key), "want an object, got "+jsonType(v))
		return obj{}, false
	}
	return d.child(o, key, v), true
}

// stringList reads a list of strings; in a CSV cell the items are separated
// by ";". An empty list is nil. Items are ids, so they may not hold
// control characters.
func (d *decoder) stringList(o obj, key string) []string {
	v, ok := d.get(o, key, optional, "an array of strings")
	if !ok {
		return nil
	}
	if v.kind == kindString && o.csv != nil {
		var out []string
		for item := range strings.SplitSeq(v.s, ";") {
			if item = strings.TrimSpace(item); item != "" {
				if hasControl(item) {
					d.add(o.at(key), "contains a control character")
					continue
				}
				out = append(out, item)
			}
		}
		return out
	}
	if v.kind != kindArray {
		d.add(o.at(key), "want an array of strings, got "+jsonType(v))
		return nil
	}
	var out []string
	elements(v.raw, func(i, start int) int {
		end := skipValue(v.raw, start)
		e := jsonValue(v.raw[start:end])
		if e.kind != kindString {
			d.add(o.at(key)+"["+strconv.Itoa(i)+"]", "want a string, got "+jsonType(e))
			return end
		}
		s := e.str()
		if hasControl(s) {
			d.add(o.at(key)+"["+strconv.Itoa(i)+"]", "contains a control character")
			return end
		}
		out = append(out, s)
		return end
	})
	return out
}

// maxPrealloc caps the room made for a list up front, so that a huge
// array of junk cannot claim memory before its elements are checked.
const maxPrealloc = 1 << 14

// decodeList reads the JSON array at key, decoding each element, which
// must be an object, with fn. Elements are labelled in paths by their
// labelKey. An empty array is nil.
//
// Once a problem is found the feed will be rejected, so the elements
// after it are still checked but no longer kept.
func decodeList[T any](d *decoder, o obj, key string, n need, labelKey string, fn func(obj) T) []T {
	v, ok := d.get(o, key, n, "an array")
	if !ok {
		return nil
	}
	if v.kind != kindArray {
		d.add(o.at(key), "want an array, got "+jsonType(v))
		return nil
	}
	out := make([]T, 0, min(v.n, maxPrealloc))
	elements(v.raw, func(i, start int) int {
		if v.raw[start] != '{' {
			end := skipValue(v.raw, start)
			d.add(o.at(key)+"["+strconv.Itoa(i)+"]", "want an object, got "+jsonType(jsonValue(v.raw[start:end])))
			return end
		}
		c, end := d.item(o, key, i, v.raw, start, labelKey)
		if t := fn(c); len(d.list) == 0 {
			out = append(out, t)
		}
		return end
	})
	if len(out) == 0 {
		return nil
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
	switch v.kind {
	case kindString:
		return d.str(v)
	case kindObject:
		return d.text(d.child(o, key, v), "sp", optional)
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
	if v.kind != kindObject {
		d.add(o.at(key), "want an object, got "+jsonType(v))
		return nil
	}
	var out map[string]float64
	set := func(k string, f float64) {
		if out == nil {
			out = make(map[string]float64)
		}
		out[k] = f
	}
	if o.csv != nil {
		for k, x := range v.m {
			if f, ok := d.metricValue(csvValue(x)); ok {
				set(k, f)
			}
		}
		return out
	}
	// A key given twice counts once, with its last value.
	for _, m := range d.child(o, key, v).members {
		if f, ok := d.metricValue(jsonValue(m.val)); ok {
			set(string(m.key), f)
		} else {
			delete(out, string(m.key))
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// metricValue returns the value of a metric given as a number or a
// string in the unit grammar (in its base unit).
func (d *decoder) metricValue(v value) (float64, bool) {
	switch v.kind {
	case kindNumber:
		return d.toNumber(v, DimNumber)
	case kindString:
		f, _, err := ParseQuantity(v.str())
		return f, err == nil
	}
	return 0, false
}
