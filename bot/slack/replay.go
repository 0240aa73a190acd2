package slack

import (
	"bytes"
	"container/list"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Replay protection of HTTP mode. A signature is valid for as long as its
// timestamp is within 5 minutes of our clock, so a captured request (or
// one Slack sends again) passes verification again in that window. Slash
// commands and interactions are therefore run once per signature: the
// signature (an HMAC of timestamp and body, unique to both) is remembered
// until its timestamp can no longer pass, with the first answer, and a
// replay gets that answer again without running anything. Events are not
// covered here: they are deduplicated by event_id, which also catches
// Slack's retries (re-signed with a new timestamp).
const (
	// replayWindow is how long after its timestamp a signature is
	// remembered: the 5 minutes slack.NewSecretsVerifier accepts, plus a
	// minute of margin.
	replayWindow = 5*time.Minute + time.Minute
	// replayMaxEntries bounds the signatures remembered. When it is
	// reached the oldest is forgotten first (a replay of it would run
	// again); it allows a sustained 20 requests a second over the window.
	replayMaxEntries = 8192
	// replayMaxBytes bounds the answers kept for replays. Beyond it the
	// oldest answers are dropped (their signatures are kept): a replay
	// then gets the fallback answer, and still does not run.
	replayMaxBytes = 8 << 20
	// replayWait bounds how long a replay waits for the first request's
	// answer while that one is still running (it answers within ackWait).
	replayWait = 3 * time.Second
	// alreadyHandledText answers a replayed slash command whose first
	// answer is no longer kept.
	alreadyHandledText = "Already handled."
	// replayWarnEvery rate-limits the warning that the cache is full.
	replayWarnEvery = time.Minute
)

// replayCache remembers request signatures until they expire, each with
// the answer to its first request. It holds at most maxEntries
// signatures and maxBytes of answers. It is safe for concurrent use.
type replayCache struct {
	maxEntries int
	maxBytes   int

	mu        sync.Mutex
	entries   map[string]*list.Element // of *replayEntry
	order     *list.List               // of *replayEntry, oldest claim first
	bytes     int                      // sizes of the answers kept
	lastPrune time.Time
}

// replayEntry is one remembered signature.
type replayEntry struct {
	key     string
	expires time.Time
	// done is closed when the first request has been answered.
	done chan struct{}
	// resp is the first answer; nil while it runs, when it was not kept
	// or has been dropped. Guarded by replayCache.mu.
	resp *cachedResponse
}

// cachedResponse is a recorded HTTP answer.
type cachedResponse struct {
	status int
	header http.Header
	body   []byte
}

// size approximates the memory the answer holds.
func (c *cachedResponse) size() int {
	n := len(c.body) + 64
	for k, vs := range c.header {
		n += len(k)
		for _, v := range vs {
			n += len(v)
		}
	}
	return n
}

func newReplayCache(maxEntries, maxBytes int) *replayCache {
	return &replayCache{
		maxEntries: max(maxEntries, 1),
		maxBytes:   maxBytes,
		entries:    make(map[string]*list.Element),
		order:      list.New(),
	}
}

// claim looks key up at now. When it is not remembered (or has expired)
// it is remembered until expires and claim returns its new entry with
// first=true: the caller runs the request and must call finish. Otherwise
// it returns the existing entry and first=false. evicted counts the
// entries that had to be forgotten before they expired to make room.
func (c *replayCache) claim(key string, expires, now time.Time) (e *replayEntry, first bool, evicted int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[key]; ok {
		old := el.Value.(*replayEntry)
		if old.expires.After(now) {
			return old, false, 0
		}
		c.remove(el)
	}
	if len(c.entries) >= c.maxEntries || now.Sub(c.lastPrune) > time.Minute {
		c.prune(now)
	}
	for len(c.entries) >= c.maxEntries {
		c.remove(c.order.Front())
		evicted++
	}
	e = &replayEntry{key: key, expires: expires, done: make(chan struct{})}
	c.entries[key] = c.order.PushBack(e)
	return e, true, evicted
}

// finish records resp (nil: none) as e's answer, if it fits, and wakes
// the replays waiting for it. It is called once per claimed entry.
func (c *replayCache) finish(e *replayEntry, resp *cachedResponse) {
	defer close(e.done)
	if resp == nil {
		return
	}
	size := resp.size()
	if size > c.maxBytes {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[e.key]; !ok || el.Value != e {
		return // already forgotten
	}
	for el := c.order.Front(); el != nil && c.bytes+size > c.maxBytes; el = el.Next() {
		if old := el.Value.(*replayEntry); old.resp != nil {
			c.bytes -= old.resp.size()
			old.resp = nil
		}
	}
	e.resp = resp
	c.bytes += size
}

// response returns e's first answer, nil when there is none (yet).
func (c *replayCache) response(e *replayEntry) *cachedResponse {
	c.mu.Lock()
	defer c.mu.Unlock()
	return e.resp
}

// count returns the number of signatures remembered.
func (c *replayCache) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}

// answerBytes returns the size of the answers kept.
func (c *replayCache) answerBytes() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.bytes
}

// prune forgets expired entries. Called with c.mu held.
func (c *replayCache) prune(now time.Time) {
	for el := c.order.Front(); el != nil; {
		next := el.Next()
		if !el.Value.(*replayEntry).expires.After(now) {
			c.remove(el)
		}
		el = next
	}
	c.lastPrune = now
}

// remove forgets one entry. Called with c.mu held.
func (c *replayCache) remove(el *list.Element) {
	e := c.order.Remove(el).(*replayEntry)
	delete(c.entries, e.key)
	if e.resp != nil {
		c.bytes -= e.resp.size()
		e.resp = nil
	}
}

// replayKey returns the cache key of a verified request, its signature
// in canonical form (the verifier accepts the hex digits in either case),
// and when that signature stops passing verification.
func replayKey(h http.Header) (key string, expires time.Time, ok bool) {
	hexSig, found := strings.CutPrefix(h.Get("X-Slack-Signature"), "v0=")
	if !found {
		return "", time.Time{}, false
	}
	sig, err := hex.DecodeString(hexSig)
	if err != nil || len(sig) == 0 {
		return "", time.Time{}, false
	}
	ts, err := strconv.ParseInt(h.Get("X-Slack-Request-Timestamp"), 10, 64)
	if err != nil {
		return "", time.Time{}, false
	}
	return "v0=" + hex.EncodeToString(sig), time.Unix(ts, 0).Add(replayWindow), true
}

// once runs next at most once per signature (see replayWindow). A replay
// gets the first answer when it is still kept, else fallback's; either
// way it is logged at WARN. It wraps handlers behind verified, so only
// requests whose signature is valid are remembered.
func (a *Adapter) once(next func(http.ResponseWriter, *http.Request, []byte), fallback func(http.ResponseWriter)) func(http.ResponseWriter, *http.Request, []byte) {
	return func(w http.ResponseWriter, r *http.Request, body []byte) {
		key, expires, ok := replayKey(r.Header)
		if !ok { // not reached: verified checked these headers
			next(w, r, body)
			return
		}
		now := time.Now()
		e, first, evicted := a.replays.claim(key, expires, now)
		if evicted > 0 {
			a.warnReplayCacheFull(now, evicted)
		}
		if !first {
			a.answerReplay(w, r, e, fallback)
			return
		}
		rec := &recordingWriter{ResponseWriter: w, limit: a.replays.maxBytes}
		completed := false
		defer func() {
			var resp *cachedResponse
			if completed {
				resp = rec.response()
			}
			a.replays.finish(e, resp)
		}()
		next(rec, r, body)
		completed = true
	}
}

// answerReplay answers a replayed request without running it.
func (a *Adapter) answerReplay(w http.ResponseWriter, r *http.Request, e *replayEntry, fallback func(http.ResponseWriter)) {
	t := time.NewTimer(replayWait)
	defer t.Stop()
	inFlight := false
	select {
	case <-e.done:
	case <-t.C:
		inFlight = true
	case <-r.Context().Done():
		inFlight = true
	}
	resp := a.replays.response(e)
	args := []any{
		"path", r.URL.Path,
		"remote", r.RemoteAddr,
		"timestamp", r.Header.Get("X-Slack-Request-Timestamp"),
		"cached_answer", resp != nil,
	}
	if inFlight {
		args = append(args, "first_in_flight", true)
	}
	if n := r.Header.Get("X-Slack-Retry-Num"); n != "" {
		args = append(args, "retry_num", n, "retry_reason", r.Header.Get("X-Slack-Retry-Reason"))
	}
	a.log.Warn("slack request replayed: answered without running it again", args...)
	if resp == nil {
		fallback(w)
		return
	}
	for k, vs := range resp.header {
		w.Header()[k] = append([]string(nil), vs...)
	}
	w.WriteHeader(resp.status)
	_, _ = w.Write(resp.body)
}

// warnReplayCacheFull logs, at most once every replayWarnEvery, that
// signatures were forgotten before they expired.
func (a *Adapter) warnReplayCacheFull(now time.Time, evicted int) {
	last := a.replayWarned.Load()
	if last != 0 && now.Sub(time.Unix(0, last)) < replayWarnEvery {
		return
	}
	if !a.replayWarned.CompareAndSwap(last, now.UnixNano()) {
		return
	}
	a.log.Warn("slack replay cache full: forgot the oldest request signatures before they expired",
		"evicted", evicted, "max_entries", a.replays.maxEntries)
}

// alreadyHandled is the fallback answer to a replayed slash command.
func alreadyHandled(w http.ResponseWriter) {
	writeJSON(w, payload{ResponseType: ephemeral, Text: alreadyHandledText})
}

// ackOnly is the fallback answer to a replayed interaction: the same
// empty 200 as its first answer (the reply went to its response_url).
func ackOnly(w http.ResponseWriter) {
	w.WriteHeader(http.StatusOK)
}

// recordingWriter passes an answer through and records it, up to limit
// bytes of body (beyond, it records nothing).
type recordingWriter struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
	limit  int
	over   bool
}

func (rw *recordingWriter) WriteHeader(code int) {
	if rw.status == 0 {
		rw.status = code
	}
	rw.ResponseWriter.WriteHeader(code)
}

func (rw *recordingWriter) Write(b []byte) (int, error) {
	if rw.status == 0 {
		rw.status = http.StatusOK
	}
	if !rw.over {
		if rw.body.Len()+len(b) > rw.limit {
			rw.over = true
			rw.body = bytes.Buffer{}
		} else {
			rw.body.Write(b)
		}
	}
	return rw.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (rw *recordingWriter) Unwrap() http.ResponseWriter { return rw.ResponseWriter }

// response returns what was recorded, nil when the body was too long.
func (rw *recordingWriter) response() *cachedResponse {
	if rw.over {
		return nil
	}
	status := rw.status
	if status == 0 {
		status = http.StatusOK
	}
	h := http.Header{}
	for _, k := range []string{"Content-Type", "X-Content-Type-Options"} {
		if v := rw.Header().Values(k); len(v) > 0 {
			h[k] = append([]string(nil), v...)
		}
	}
	return &cachedResponse{status: status, header: h, body: bytes.Clone(rw.body.Bytes())}
}
