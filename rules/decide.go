package rules

import "fmt"

// Decision is the outcome of a rule for one subject without the formatted
// values and detail of a Result: what Outcomes and Decide report. Deciding
// allocates nothing beyond the expression's own work, so a caller that
// only needs the full Result for a few subjects (those whose alerts
// change) asks Describe for them.
type Decision struct {
	// ID is the bond id, project id, or ticker for issuer rules.
	ID      string
	Ticker  string
	Outcome Outcome
	// Missing is the variable lacking data, if any, as in Result.Missing.
	Missing string
	// idx is the position of the subject in its Index (a hint for
	// Describe; it is checked against ID).
	idx int
}

// Outcomes appends to dst the decision of p for every subject of its kind
// in ix, in feed order, and returns the extended slice. It is Eval without
// the values and detail: scope and h mean the same, and the outcomes and
// missing variables are those Eval reports. With a dst of enough capacity
// it allocates nothing beyond what the rule's expression allocates in the
// expression VM.
func (p *Program) Outcomes(ix *Index, h History, scope func(ticker string) bool, dst []Decision) []Decision {
	subs := ix.subjects[p.subject]
	ec := ix.getCtx()
	defer ix.putCtx(ec)
	for i := range subs {
		s := &subs[i]
		if scope != nil && !scope(s.ticker) {
			continue
		}
		out, missing, _, _ := p.decide(ec, ix, h, s, false)
		dst = append(dst, Decision{ID: s.id, Ticker: s.ticker, Outcome: out, Missing: missing, idx: i})
	}
	return dst
}

// Decide is EvalOne without the values and detail: the decision of p for
// one subject, a bond or project id, or a ticker for issuer rules. It
// returns an error wrapping ErrNoSubject when ix has no such subject.
func (p *Program) Decide(ix *Index, h History, id string) (Decision, error) {
	s, err := p.find(ix, id)
	if err != nil {
		return Decision{}, err
	}
	ec := ix.getCtx()
	defer ix.putCtx(ec)
	out, missing, _, _ := p.decide(ec, ix, h, s, false)
	return Decision{ID: s.id, Ticker: s.ticker, Outcome: out, Missing: missing, idx: ix.byID[p.subject][id]}, nil
}

// Describe returns the full Result (detail and formatted values) for the
// subject of d, a decision of p over ix and h from Outcomes or Decide: the
// Result EvalOne(ix, h, d.ID) returns. It returns an error wrapping
// ErrNoSubject when ix has no such subject.
func (p *Program) Describe(ix *Index, h History, d Decision) (Result, error) {
	subs := ix.subjects[p.subject]
	var s *subject
	if d.idx >= 0 && d.idx < len(subs) && subs[d.idx].id == d.ID {
		s = &subs[d.idx]
	} else {
		var ok bool
		if s, ok = ix.lookup(p.subject, d.ID); !ok {
			return Result{}, fmt.Errorf("%s %q in the snapshot of %s: %w", p.subject, d.ID, day0(ix.snap.AsOf), ErrNoSubject)
		}
	}
	ec := ix.getCtx()
	defer ix.putCtx(ec)
	return p.evalSubject(ec, ix, h, s, nil), nil
}
