package discord

import (
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"testing"

	"github.com/bwmarrin/discordgo"
	"github.com/google/shlex"
)

// FuzzInteraction feeds arbitrary interaction JSON through the
// translation: decoding, command text, autocomplete lookup and the
// request mapping must never panic, and a translated command must split
// back into words.
func FuzzInteraction(f *testing.F) {
	for _, s := range []string{
		`{"type":2,"data":{"name":"spread","options":[{"name":"ticker","type":3,"value":"CIFR"}]}}`,
		`{"type":2,"data":{"name":"rule","options":[{"name":"add","type":1,"options":[{"name":"name","type":3,"value":"hot"},{"name":"expr","type":3,"value":"coupon > utility + 400bp"},{"name":"for","type":3,"value":"2h"}]}]}}`,
		`{"type":2,"data":{"name":"alerts","options":[{"name":"n","type":4,"value":1e300}]}}`,
		`{"type":2,"data":{"name":"watch","options":[{"name":"create","type":1,"options":[{"name":"channel","type":7,"value":{"x":1}}]}]}}`,
		`{"type":2,"data":{"name":"mute","options":[{"name":"add","type":1,"options":[null,{"name":"comment","type":3,"value":"it's \"x\" $y"}]}]}}`,
		`{"type":4,"data":{"name":"watch","options":[{"name":"add","type":1,"options":[{"name":"tickers","type":3,"value":"CI","focused":true}]}]}}`,
		`{"type":3,"data":{"custom_id":"ack A1"},"user":{"id":"U1"}}`,
		`{"type":2,"data":null}`,
		`{"type":2,"data":{"name":"help","options":[{"name":"command","type":3,"value":"rule\nadd"}]}}`,
	} {
		f.Add([]byte(s))
	}
	rec := newRecorder(nil)
	pub, _, err := ed25519.GenerateKey(nil)
	if err != nil {
		f.Fatal(err)
	}
	a, err := New(Options{PublicKey: hex.EncodeToString(pub), Handler: completingRecorder{recorder: rec, asked: make(chan [3]string, 1)}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var i discordgo.Interaction
		if err := json.Unmarshal(b, &i); err != nil {
			return
		}
		// The whole path, handler included, never panics.
		resp, p := a.prepare(t.Context(), &i)
		if p != nil {
			t.Fatalf("a fast handler was deferred")
		}
		if _, err := json.Marshal(resp); err != nil {
			t.Errorf("response does not marshal: %v", err)
		}
		drain(rec, a)
		_ = teamOf(&i)
		d, ok := i.Data.(discordgo.ApplicationCommandInteractionData)
		if !ok {
			return
		}
		focused(d)
		text, err := commandText(d)
		if err != nil {
			return
		}
		if _, err := interactionRequest(&i, text); err != nil && interactionUser(&i) != nil && interactionUser(&i).ID != "" {
			t.Errorf("interactionRequest: %v", err)
		}
		if _, err := shlex.Split(text); err != nil {
			t.Errorf("commandText = %q does not split: %v", text, err)
		}
	})
}

// drain empties the recorder and the completer's channel between inputs.
func drain(rec *recorder, a *Adapter) {
	for {
		select {
		case <-rec.reqs:
		case <-a.completer.(completingRecorder).asked:
		default:
			return
		}
	}
}
