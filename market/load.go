package market

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
)

// MaxFeedSize is the largest feed, or CSV file, that is read: 64 MiB.
const MaxFeedSize = 64 << 20

// trimBOM strips a UTF-8 byte order mark, which spreadsheet tools write,
// from the start of data.
func trimBOM(data []byte) []byte {
	const bom = "\xef\xbb\xbf"
	if len(data) >= len(bom) && string(data[:len(bom)]) == bom {
		return data[len(bom):]
	}
	return data
}

// Load reads a feed from path: a JSON file in the
// spreadwatch.issuer-feed/v1 format, or a directory holding the CSV
// variant (see [LoadCSV]). The snapshot's Source is path.
//
// A feed with any problem is rejected whole with a *[FeedError] that
// lists the problems; other errors come from the file system.
func Load(path string) (*Snapshot, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("load feed: %w", err)
	}
	if fi.IsDir() {
		return LoadCSV(path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load feed: %w", err)
	}
	defer f.Close()
	return Decode(f, path)
}

// Decode reads one JSON feed in the spreadwatch.issuer-feed/v1 format from
// r. Source names the feed in messages and in the snapshot.
//
// Keys the format does not know are ignored. A required key that is
// missing, a value of the wrong type or unit, a negative dollar amount or
// megawatts, a bad DATE-WINDOW, a duplicate ticker or id, a control
// character in an id, ticker or name, or invalid JSON makes Decode return
// a *[FeedError] naming the path of each problem and what was expected:
//
//	feed.json: issuers[QBIT].bonds[QBIT-12.0-2029].coupon: want a percent number or "6.125%", got "6,125"
//
// The feed is read into memory whole and decoded in place, without a
// tree of the document: memory use is about the size of the input plus
// that of the snapshot. Input beyond [MaxFeedSize] is rejected. Errors
// reading r are returned wrapped.
func Decode(r io.Reader, source string) (*Snapshot, error) {
	data, err := readLimited(r)
	if err != nil {
		return nil, fmt.Errorf("read feed %s: %w", source, err)
	}
	if len(data) > MaxFeedSize {
		return nil, feedError(source, "", fmt.Sprintf("feed is larger than %d MiB", MaxFeedSize>>20))
	}
	return decodeJSON(data, source)
}

// readLimited reads r to its end or to one byte past MaxFeedSize, sizing
// its buffer up front when r can tell its length (files, in-memory
// readers).
func readLimited(r io.Reader) ([]byte, error) {
	hint := 0
	switch v := r.(type) {
	case interface{ Len() int }:
		hint = v.Len()
	case interface{ Stat() (fs.FileInfo, error) }:
		if fi, err := v.Stat(); err == nil && fi.Mode().IsRegular() {
			hint = int(min(fi.Size(), MaxFeedSize))
		}
	}
	var buf bytes.Buffer
	buf.Grow(min(hint, MaxFeedSize) + bytes.MinRead)
	_, err := buf.ReadFrom(io.LimitReader(r, MaxFeedSize+1))
	return buf.Bytes(), err
}

// decodeJSON decodes a whole feed held in data. The document is checked
// first and then read in place, entity by entity (see jsonscan.go).
func decodeJSON(data []byte, source string) (*Snapshot, error) {
	data = trimBOM(data)
	if !validJSON(data) {
		return nil, feedError(source, "", invalidMessage(data))
	}
	start := skipSpace(data, 0)
	d := newDecoder()
	s := d.feed(jsonValue(data[start:skipValue(data, start)]))
	if err := d.err(source); err != nil {
		return nil, err
	}
	s.Source = source
	return s, nil
}

// invalidMessage explains why data, which validJSON rejected, is not a
// JSON document, in the words of encoding/json and with the position.
func invalidMessage(data []byte) string {
	dec := json.NewDecoder(bytes.NewReader(data))
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return syntaxMessage(data, err)
	}
	if off := skipSpace(data, int(dec.InputOffset())); off < len(data) {
		return "invalid JSON " + position(data, off) + ": unexpected data after the top-level value"
	}
	return "invalid JSON" // not reached: validJSON agrees with encoding/json
}

// feed decodes the top-level value of a JSON feed.
func (d *decoder) feed(root value) *Snapshot {
	if root.kind != kindObject {
		d.add("", "want a JSON object at the top level, got "+jsonType(root))
		return nil
	}
	o := d.root(root)
	asOf, ok := d.header(o)
	if !ok {
		return nil
	}
	return &Snapshot{
		AsOf:       asOf,
		Benchmarks: decodeList(d, o, "benchmarks", required, "id", d.benchmark),
		Issuers:    decodeList(d, o, "issuers", required, "ticker", d.issuer),
	}
}

// syntaxMessage explains why data is not JSON, with the position.
func syntaxMessage(data []byte, err error) string {
	if len(bytes.TrimSpace(data)) == 0 {
		return "empty feed: want a JSON object"
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return "invalid JSON " + position(data, len(data)) + ": unexpected end of input (is the file truncated?)"
	}
	// The decoder's offsets are not always absolute; Unmarshal's are.
	var raw json.RawMessage
	var se *json.SyntaxError
	if uerr := json.Unmarshal(data, &raw); errors.As(uerr, &se) {
		return "invalid JSON " + position(data, int(se.Offset)-1) + ": " + se.Error()
	}
	return "invalid JSON: " + err.Error()
}

// position describes byte offset off of data as "at line L, column C
// (byte N)", all counted from 1 except the byte offset.
func position(data []byte, off int) string {
	off = max(0, min(off, len(data)))
	line := 1 + bytes.Count(data[:off], []byte{'\n'})
	col := off - bytes.LastIndexByte(data[:off], '\n')
	return "at line " + strconv.Itoa(line) + ", column " + strconv.Itoa(col) + " (byte " + strconv.Itoa(off) + ")"
}

func skipSpace(data []byte, off int) int {
	for off < len(data) {
		switch data[off] {
		case ' ', '\t', '\r', '\n':
			off++
		default:
			return off
		}
	}
	return off
}
