package market

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"
)

// A JSON feed is checked once by validJSON and then read in place: an
// object is split into its members (key and raw value) only when a reader
// needs it, and a value is converted only when it is read. Nothing is
// built for keys the format does not know, and no tree of the whole
// document is kept.

// maxJSONDepth is the nesting limit of encoding/json, which validJSON
// shares so that the same documents are accepted.
const maxJSONDepth = 10000

// validJSON reports whether data is exactly one JSON value with optional
// whitespace around it, by the rules of encoding/json (json.Valid): the
// same grammar, whitespace and nesting limit; invalid UTF-8 in strings is
// allowed.
func validJSON(data []byte) bool {
	var stack []byte // '{' or '[' for each open container
	i := skipSpace(data, 0)
	for {
		// A value starts at i.
		if i >= len(data) {
			return false
		}
		switch c := data[i]; c {
		case '{', '[':
			if len(stack) >= maxJSONDepth {
				return false
			}
			stack = append(stack, c)
			i = skipSpace(data, i+1)
			if i < len(data) && data[i] == c+2 { // '}' or ']'
				stack = stack[:len(stack)-1]
				i++
				break
			}
			if c == '{' {
				var ok bool
				if i, ok = validKey(data, i); !ok {
					return false
				}
			}
			continue
		case '"':
			var ok bool
			if i, ok = validString(data, i); !ok {
				return false
			}
		case 't':
			if !bytes.HasPrefix(data[i:], []byte("true")) {
				return false
			}
			i += 4
		case 'f':
			if !bytes.HasPrefix(data[i:], []byte("false")) {
				return false
			}
			i += 5
		case 'n':
			if !bytes.HasPrefix(data[i:], []byte("null")) {
				return false
			}
			i += 4
		default:
			var ok bool
			if i, ok = validNumber(data, i); !ok {
				return false
			}
		}
		// A value ended at i: close containers until one continues.
		for {
			i = skipSpace(data, i)
			if len(stack) == 0 {
				return i == len(data)
			}
			if i >= len(data) {
				return false
			}
			top := stack[len(stack)-1]
			if data[i] == top+2 {
				stack = stack[:len(stack)-1]
				i++
				continue
			}
			if data[i] != ',' {
				return false
			}
			i = skipSpace(data, i+1)
			if top == '{' {
				var ok bool
				if i, ok = validKey(data, i); !ok {
					return false
				}
			}
			break
		}
	}
}

// validKey checks an object key and its colon at data[i:] and returns the
// offset of the value after them.
func validKey(data []byte, i int) (int, bool) {
	if i >= len(data) || data[i] != '"' {
		return i, false
	}
	i, ok := validString(data, i)
	if !ok {
		return i, false
	}
	i = skipSpace(data, i)
	if i >= len(data) || data[i] != ':' {
		return i, false
	}
	return skipSpace(data, i+1), true
}

// validString checks the string starting with the quote at data[i] and
// returns the offset just past it.
func validString(data []byte, i int) (int, bool) {
	for i++; i < len(data); i++ {
		switch c := data[i]; {
		case c == '"':
			return i + 1, true
		case c < 0x20:
			return i, false
		case c == '\\':
			i++
			if i >= len(data) {
				return i, false
			}
			switch data[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if i+4 >= len(data) {
					return i, false
				}
				for _, h := range data[i+1 : i+5] {
					if !isHex(h) {
						return i, false
					}
				}
				i += 4
			default:
				return i, false
			}
		}
	}
	return i, false
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// validNumber checks the number starting at data[i],
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?, and returns the offset
// just past it.
func validNumber(data []byte, i int) (int, bool) {
	if i < len(data) && data[i] == '-' {
		i++
	}
	switch {
	case i < len(data) && data[i] == '0':
		i++
	case i < len(data) && '1' <= data[i] && data[i] <= '9':
		i = skipDigits(data, i+1)
	default:
		return i, false
	}
	if i < len(data) && data[i] == '.' {
		j := skipDigits(data, i+1)
		if j == i+1 {
			return j, false
		}
		i = j
	}
	if i < len(data) && (data[i] == 'e' || data[i] == 'E') {
		i++
		if i < len(data) && (data[i] == '+' || data[i] == '-') {
			i++
		}
		j := skipDigits(data, i)
		if j == i {
			return j, false
		}
		i = j
	}
	return i, true
}

func skipDigits(data []byte, i int) int {
	for i < len(data) && isDigit(data[i]) {
		i++
	}
	return i
}

// The functions below read JSON that validJSON has accepted; they do not
// check the grammar again.

// skipValue returns the offset just past the value starting at data[i].
func skipValue(data []byte, i int) int {
	end, _ := skipValueCount(data, i)
	return end
}

// skipValueCount returns the offset just past the value starting at
// data[i] and, for an array, how many of its elements are objects.
func skipValueCount(data []byte, i int) (end, n int) {
	if i >= len(data) {
		return len(data), 0
	}
	switch data[i] {
	case '"':
		return skipString(data, i), 0
	case '{', '[':
		array := data[i] == '['
		depth := 0
		for i < len(data) {
			switch data[i] {
			case '"':
				i = skipString(data, i)
				continue
			case '{', '[':
				depth++
				if array && depth == 2 && data[i] == '{' {
					n++
				}
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1, n
				}
			}
			i++
		}
		return len(data), n
	}
	// A number or a literal runs to the next delimiter.
	for i < len(data) {
		switch data[i] {
		case ',', '}', ']', ' ', '\t', '\r', '\n':
			return i, 0
		}
		i++
	}
	return i, 0
}

// skipString returns the offset just past the string starting with the
// quote at data[i].
func skipString(data []byte, i int) int {
	for i++; i < len(data); i++ {
		switch data[i] {
		case '"':
			return i + 1
		case '\\':
			i++ // the escaped byte cannot end the string
		}
	}
	return len(data)
}

// member is one key and value of a JSON object, as written (the key
// without its quotes, and decoded when it holds escapes or invalid UTF-8).
// n counts the objects in an array value (see skipValueCount).
type member struct {
	key, val []byte
	n        int
}

// appendMembers appends the members of the JSON object starting at
// data[i] to buf in document order. It returns buf and the offset just
// past the object.
func appendMembers(buf []member, data []byte, i int) ([]member, int) {
	i = skipSpace(data, i+1)
	for i < len(data) && data[i] == '"' {
		end := skipString(data, i)
		key := data[i+1 : max(i+1, end-1)]
		if needsUnquote(key) {
			key = []byte(unquote(data[i:end]))
		}
		i = skipSpace(data, end)
		i = skipSpace(data, i+1) // past ':'
		vend, n := skipValueCount(data, i)
		buf = append(buf, member{key: key, val: data[i:vend], n: n})
		i = skipSpace(data, vend)
		if i < len(data) && data[i] == ',' {
			i = skipSpace(data, i+1)
			continue
		}
		break
	}
	return buf, min(i+1, len(data)) // past '}'
}

// elements calls fn with the index and offset of each element of the
// JSON array raw, in order; fn returns the offset just past the element
// (which it finds while reading it, or with skipValue).
func elements(raw []byte, fn func(n, start int) (end int)) {
	i := skipSpace(raw, 1)
	for n := 0; i < len(raw) && raw[i] != ']'; n++ {
		i = skipSpace(raw, fn(n, i))
		if i < len(raw) && raw[i] == ',' {
			i = skipSpace(raw, i+1)
		}
	}
}

// needsUnquote reports whether the inside of a JSON string differs from
// its decoded value: it holds an escape or invalid UTF-8, which
// encoding/json replaces with U+FFFD.
func needsUnquote(s []byte) bool {
	return bytes.IndexByte(s, '\\') >= 0 || !utf8.Valid(s)
}

// unquote returns the value of the JSON string raw (with its quotes),
// exactly as encoding/json decodes it.
func unquote(raw []byte) string {
	if len(raw) >= 2 && !needsUnquote(raw[1:len(raw)-1]) {
		return string(raw[1 : len(raw)-1])
	}
	var s string
	_ = json.Unmarshal(raw, &s) // raw is a valid JSON string
	return s
}
