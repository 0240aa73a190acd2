package discord

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"
)

// InteractionsPath is where HTTPHandler takes Discord's interactions; set
// the application's Interactions Endpoint URL to https://HOST/discord/interactions.
const InteractionsPath = "/discord/interactions"

// HTTPHandler serves POST /discord/interactions: every request is
// verified with the application's Ed25519 public key (a missing, bad or
// stale signature gets 401 and changes nothing), then answered like a
// gateway interaction, in the HTTP response.
func (a *Adapter) HTTPHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+InteractionsPath, a.serveInteraction)
	return mux
}

func (a *Adapter) serveInteraction(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			http.Error(w, "request too large", http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "cannot read request", http.StatusBadRequest)
		return
	}
	if !a.verify(r.Header, body) {
		a.log.Debug("rejected interaction: bad signature", "remote", r.RemoteAddr)
		http.Error(w, "invalid request signature", http.StatusUnauthorized)
		return
	}
	var i discordgo.Interaction
	if err := json.Unmarshal(body, &i); err != nil {
		http.Error(w, "malformed interaction", http.StatusBadRequest)
		return
	}
	if i.Type == discordgo.InteractionPing {
		writeJSON(w, response{Type: discordgo.InteractionResponsePong})
		return
	}

	// A replayed interaction gets the first answer again and runs nothing.
	e, first := a.replies.claim(i.ID, a.now())
	if !first {
		t := time.NewTimer(deferAfter + time.Second)
		defer t.Stop()
		select {
		case <-e.ready:
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(e.body)
		case <-t.C:
			http.Error(w, "duplicate interaction in progress", http.StatusConflict)
		}
		return
	}
	a.answer(r.Context(), &i, func(_ context.Context, resp response) error {
		b, err := json.Marshal(resp)
		if err != nil {
			e.fill(nil)
			http.Error(w, "internal error", http.StatusInternalServerError)
			return err
		}
		e.fill(b)
		w.Header().Set("Content-Type", "application/json")
		_, err = w.Write(b)
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		return err
	})
}

// verify checks the request's Ed25519 signature over timestamp+body and
// that the timestamp is within signatureWindow of now.
func (a *Adapter) verify(h http.Header, body []byte) bool {
	if a.publicKey == nil {
		return false
	}
	sig, err := hex.DecodeString(h.Get("X-Signature-Ed25519"))
	if err != nil || len(sig) != ed25519.SignatureSize {
		return false
	}
	ts := h.Get("X-Signature-Timestamp")
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return false
	}
	if d := a.now().Sub(time.Unix(sec, 0)); d > signatureWindow || d < -signatureWindow {
		return false
	}
	msg := make([]byte, 0, len(ts)+len(body))
	msg = append(append(msg, ts...), body...)
	return ed25519.Verify(a.publicKey, msg, sig)
}

func writeJSON(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}

// replyCache remembers the HTTP answers to recent interactions by id.
type replyCache struct {
	mu      sync.Mutex
	max     int
	entries map[string]*cachedReply
}

type cachedReply struct {
	at    time.Time
	ready chan struct{}
	once  sync.Once
	body  []byte
}

func (c *cachedReply) fill(b []byte) {
	c.once.Do(func() {
		c.body = b
		close(c.ready)
	})
}

func newReplyCache(max int) *replyCache {
	return &replyCache{max: max, entries: map[string]*cachedReply{}}
}

// claim returns the entry for id and whether the caller is the first to
// claim it (and must fill it). An empty id is never cached.
func (c *replyCache) claim(id string, now time.Time) (*cachedReply, bool) {
	e := &cachedReply{at: now, ready: make(chan struct{})}
	if id == "" {
		return e, true
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.entries[id]; ok && now.Sub(old.at) < 2*signatureWindow {
		return old, false
	}
	if len(c.entries) >= c.max {
		for k, v := range c.entries {
			if now.Sub(v.at) >= 2*signatureWindow {
				delete(c.entries, k)
			}
		}
		// Still full: drop the oldest.
		for len(c.entries) >= c.max {
			var oldest string
			for k, v := range c.entries {
				if oldest == "" || v.at.Before(c.entries[oldest].at) {
					oldest = k
				}
			}
			delete(c.entries, oldest)
		}
	}
	c.entries[id] = e
	return e, true
}
