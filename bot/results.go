package bot

import (
	"strings"

	"github.com/spreadwatch/spreadwatch/rules"
)

// toOutcome maps the rules engine's outcome to the lifecycle's.
func toOutcome(res rules.Result) outcome { return decisionOutcome(res.Outcome) }

// decisionOutcome maps the rules engine's outcome to the lifecycle's.
func decisionOutcome(o rules.Outcome) outcome {
	switch o {
	case rules.Match:
		return outcomeMatch
	case rules.NoMatch:
		return outcomeNoMatch
	case rules.LacksData:
		return outcomeLacksData
	default:
		return outcomeError
	}
}

// resultValues renders the values a rule read, the first one named and
// the rest in parentheses: "coupon 9.25% (utility 4.50%)".
func resultValues(res rules.Result) string {
	if len(res.Values) == 0 {
		return ""
	}
	var b strings.Builder
	for i, v := range res.Values {
		switch i {
		case 0:
		case 1:
			b.WriteString(" (")
		default:
			b.WriteString(", ")
		}
		b.WriteString(v.Name)
		b.WriteByte(' ')
		b.WriteString(v.Text)
	}
	if len(res.Values) > 1 {
		b.WriteByte(')')
	}
	return b.String()
}
