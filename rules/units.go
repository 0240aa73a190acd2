package rules

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/spreadwatch/spreadwatch/market"
)

// dim is the kind of quantity a value measures; it decides how a value is
// shown and how a difference between two values is shown.
type dim int

const (
	dimNone     dim = iota // a plain number or unknown
	dimRate                // percent points: 9.25 is 9.25%
	dimSpread              // a difference of rates, shown in bp: 4.15 is +415 bp
	dimPower               // megawatts
	dimMoney               // US dollars
	dimDuration            // time.Duration
	dimDays                // a number of days
	dimYears               // a number of years
	dimRatio               // a unitless ratio such as planned / operating MW
	dimShare               // a fraction 0–1
	dimDate                // time.Time
	dimString              // text
	dimBool                // true or false
	dimList                // bonds, projects, offtakes
)

// unitDef is one unit suffix of the rule language.
type unitDef struct {
	name   string // canonical spelling: "bp", "MW", "bn"
	dim    dim
	suffix market.Suffix
}

// day is the length of the d suffix.
const day = 24 * time.Hour

// lookupUnit finds a unit suffix (case does not matter: 400BP, 1.5gw).
// After a dollar sign only money units, or none, are allowed.
func lookupUnit(suffix string, dollar bool) (unitDef, bool) {
	if suffix == "" {
		if dollar {
			return unitDef{name: "$", dim: dimMoney, suffix: market.Suffix{Name: "$", Dim: market.DimMoney, Factor: 1}}, true
		}
		return unitDef{}, false
	}
	s, ok := market.LookupSuffix(suffix)
	if !ok || dollar && s.Dim != market.DimMoney {
		return unitDef{}, false
	}
	u := unitDef{name: s.Name, suffix: s}
	switch s.Dim {
	case market.DimRate:
		u.dim = dimRate
		if s.Name == "bp" || s.Name == "bps" {
			u.dim = dimSpread
		}
	case market.DimDuration:
		u.dim = dimDuration
	case market.DimPower:
		u.dim = dimPower
	case market.DimMoney:
		u.dim = dimMoney
	}
	return u, true
}

// knownUnitsText lists the units for error messages.
func knownUnitsText() string {
	return strings.Join(market.KnownSuffixes(), ", ") + ` (a leading $ marks money: $500m)`
}

// unitValue is the Go value of a unit literal: float64 in the base unit
// (percent points, MW, USD), or a time.Duration for durations.
func unitValue(u unitDef, n float64) any {
	v := u.suffix.Apply(n)
	if u.dim == dimDuration {
		return time.Duration(math.Round(v * float64(day)))
	}
	return v
}

// parseDurationText reads the window of change(x, "30d"): a number with a
// duration suffix, or a Go duration such as "720h".
func parseDurationText(s string) (time.Duration, bool) {
	s = strings.TrimSpace(s)
	i := 0
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.' || s[i] == '_') {
		i++
	}
	if i > 0 && i < len(s) {
		n, err := strconv.ParseFloat(strings.ReplaceAll(s[:i], "_", ""), 64)
		if u, ok := lookupUnit(s[i:], false); err == nil && ok && u.dim == dimDuration {
			return unitValue(u, n).(time.Duration), true
		}
	}
	d, err := time.ParseDuration(s)
	return d, err == nil
}

// tokKind classifies the tokens of the rule scanner.
type tokKind int

const (
	tkIdent tokKind = iota
	tkNumber
	tkUnit
	tkString
	tkPointer
	tkOp
	tkOpen
	tkClose
)

// token is one token of a rule, with its rune offsets in the source.
type token struct {
	kind     tokKind
	text     string
	from, to int // rune offsets, to exclusive
	// For tkUnit: the value and the unit.
	value any
	unit  unitDef
	// suffixFrom is where the unit suffix starts (for error positions).
	suffixFrom int
}

// binaryWords are keyword operators; after a percent literal they mean the
// % was a unit, not modulo.
var binaryWords = map[string]bool{
	"and": true, "or": true, "in": true, "matches": true, "contains": true,
	"startsWith": true, "endsWith": true,
}

func isIdentStart(r rune) bool { return r == '_' || r == '$' || unicode.IsLetter(r) }
func isIdentPart(r rune) bool  { return isIdentStart(r) || unicode.IsDigit(r) }
func isDigit(r rune) bool      { return r >= '0' && r <= '9' }

// scan splits src into tokens. It recognises unit literals and leaves
// strings and comments alone; anything it does not understand is left for
// expr's parser to report.
func scan(src []rune) ([]token, *CompileError) {
	var toks []token
	n := len(src)
	i := 0
	for i < n {
		r := src[i]
		switch {
		case unicode.IsSpace(r):
			i++
		case r == '/' && i+1 < n && src[i+1] == '/':
			for i < n && src[i] != '\n' {
				i++
			}
		case r == '/' && i+1 < n && src[i+1] == '*':
			i += 2
			for i < n && !(src[i] == '*' && i+1 < n && src[i+1] == '/') {
				i++
			}
			i += 2
			if i > n {
				i = n
			}
		case r == '"' || r == '\'' || r == '`' ||
			(r == 'b' || r == 'B') && i+1 < n && (src[i+1] == '"' || src[i+1] == '\''):
			start := i
			if r == 'b' || r == 'B' {
				i++
			}
			q := src[i]
			i++
			for i < n && src[i] != q {
				if src[i] == '\\' && q != '`' {
					i++
				}
				i++
			}
			i++
			if i > n {
				i = n
			}
			toks = append(toks, token{kind: tkString, text: string(src[start:i]), from: start, to: i})
		case isDigit(r) || r == '$' && i+1 < n && isDigit(src[i+1]) ||
			r == '.' && i+1 < n && isDigit(src[i+1]) && (len(toks) == 0 || !endsOperand(toks[len(toks)-1])):
			tok, err := scanNumber(src, i)
			if err != nil {
				return nil, err
			}
			toks = append(toks, tok)
			i = tok.to
		case r == '#':
			start := i
			i++
			for i < n && isIdentPart(src[i]) {
				i++
			}
			toks = append(toks, token{kind: tkPointer, text: string(src[start:i]), from: start, to: i})
		case isIdentStart(r):
			start := i
			for i < n && isIdentPart(src[i]) {
				i++
			}
			toks = append(toks, token{kind: tkIdent, text: string(src[start:i]), from: start, to: i})
		case r == '(' || r == '[' || r == '{':
			toks = append(toks, token{kind: tkOpen, text: string(r), from: i, to: i + 1})
			i++
		case r == ')' || r == ']' || r == '}':
			toks = append(toks, token{kind: tkClose, text: string(r), from: i, to: i + 1})
			i++
		default:
			start := i
			i++
			if i < n {
				two := string(src[start : i+1])
				switch two {
				case "??", "?.", "..", "==", "!=", "<=", ">=", "&&", "||", "**":
					i++
				}
			}
			toks = append(toks, token{kind: tkOp, text: string(src[start:i]), from: start, to: i})
		}
	}
	return toks, nil
}

// endsOperand reports whether t can end an operand, so that a following
// ".5" is a member access rather than a number.
func endsOperand(t token) bool {
	switch t.kind {
	case tkIdent:
		return !binaryWords[t.text] && t.text != "not"
	case tkNumber, tkUnit, tkString, tkPointer, tkClose:
		return true
	}
	return false
}

// scanNumber reads a number starting at i, with an optional leading $ and
// unit suffix.
func scanNumber(src []rune, i int) (token, *CompileError) {
	n := len(src)
	start := i
	dollar := false
	if src[i] == '$' {
		dollar = true
		i++
	}
	numStart := i
	// Hex, octal and binary integers have no units.
	if src[i] == '0' && i+2 < n && !dollar && basePrefix(src[i+1], src[i+2]) {
		i += 2
		for i < n && isIdentPart(src[i]) {
			i++
		}
		return token{kind: tkNumber, text: string(src[start:i]), from: start, to: i}, nil
	}
	for i < n && (isDigit(src[i]) || src[i] == '_') {
		i++
	}
	if i < n && src[i] == '.' && !(i+1 < n && src[i+1] == '.') {
		i++
		for i < n && (isDigit(src[i]) || src[i] == '_') {
			i++
		}
	}
	if i < n && (src[i] == 'e' || src[i] == 'E') {
		j := i + 1
		if j < n && (src[j] == '+' || src[j] == '-') {
			j++
		}
		if j < n && isDigit(src[j]) {
			i = j
			for i < n && (isDigit(src[i]) || src[i] == '_') {
				i++
			}
		}
	}
	numEnd := i
	numText := string(src[numStart:numEnd])
	suffixFrom := i
	for i < n && (unicode.IsLetter(src[i]) || src[i] == '_') {
		i++
	}
	suffix := string(src[suffixFrom:i])
	if suffix == "" && !dollar && i < n && src[i] == '%' && percentIsUnit(src, i+1) {
		i++
		suffix = "%"
	}
	if suffix == "" && !dollar {
		return token{kind: tkNumber, text: string(src[start:i]), from: start, to: i}, nil
	}
	if suffix != "" && !dollar && (binaryWords[suffix] || suffix == "not") {
		// "2and" reads as 2 and …; leave the keyword for the parser.
		return token{kind: tkNumber, text: numText, from: start, to: numEnd}, nil
	}
	u, ok := lookupUnit(suffix, dollar)
	if !ok {
		lit := string(src[start:i])
		msg := fmt.Sprintf("unknown unit %q in %s; known units: %s", suffix, lit, knownUnitsText())
		return token{}, &CompileError{Msg: msg, offset: suffixFrom}
	}
	num, err := strconv.ParseFloat(strings.ReplaceAll(numText, "_", ""), 64)
	if err != nil {
		return token{}, &CompileError{Msg: fmt.Sprintf("bad number %q", numText), offset: numStart}
	}
	return token{
		kind: tkUnit, text: string(src[start:i]), from: start, to: i,
		value: unitValue(u, num), unit: u, suffixFrom: suffixFrom,
	}, nil
}

// basePrefix reports whether 0 followed by p and d starts a hex, octal or
// binary integer (0x1F, 0o17, 0b101) rather than a unit (0bp, 0bn).
func basePrefix(p, d rune) bool {
	switch p {
	case 'x', 'X':
		return isDigit(d) || d >= 'a' && d <= 'f' || d >= 'A' && d <= 'F' || d == '_'
	case 'o', 'O':
		return d >= '0' && d <= '7' || d == '_'
	case 'b', 'B':
		return d == '0' || d == '1' || d == '_'
	}
	return false
}

// percentIsUnit decides whether a % glued to a number is a percent sign:
// it is, unless the next token starts an operand (then it is modulo).
func percentIsUnit(src []rune, i int) bool {
	n := len(src)
	for i < n && unicode.IsSpace(src[i]) {
		i++
	}
	if i >= n {
		return true
	}
	r := src[i]
	switch {
	case r == '!':
		return i+1 < n && src[i+1] == '='
	case r == '(' || r == '[' || r == '{' || r == '$' || r == '"' || r == '\'' || r == '`' || r == '#' || isDigit(r):
		return false
	case r == '.':
		return !(i+1 < n && (isIdentStart(src[i+1]) || isDigit(src[i+1])))
	case isIdentStart(r):
		j := i
		for j < n && isIdentPart(src[j]) {
			j++
		}
		return binaryWords[string(src[i:j])]
	}
	return true
}

// rewrite is the result of preparing a rule's text for expr: unit literals
// become placeholder identifiers and coalesce chains get parentheses. It
// maps positions in the rewritten text back to the original.
type rewrite struct {
	orig   []rune
	text   string
	toOrig []int // rune offset in text → rune offset in orig; len = len(text runes)+1
	// toOrigEnd maps a rune of text to the end (exclusive) of what it
	// stands for in orig: a placeholder's runes all end where its literal ends.
	toOrigEnd []int
	consts    map[string]unitConst
}

// unitConst is one unit literal of a rule.
type unitConst struct {
	value any
	unit  unitDef
	text  string
}

// edit replaces the original runes [from, to) by text.
type edit struct {
	from, to int
	text     string
}

// placeholderPrefix starts the identifiers that stand for unit literals.
const placeholderPrefix = "__u"

// prepare rewrites src for expr. Errors carry an offset in src.
func prepare(src string) (*rewrite, *CompileError) {
	orig := []rune(src)
	toks, cerr := scan(orig)
	if cerr != nil {
		return nil, cerr
	}
	rw := &rewrite{orig: orig, consts: map[string]unitConst{}}
	var edits []edit
	for _, t := range toks {
		if t.kind != tkUnit {
			continue
		}
		name := fmt.Sprintf("%s%d", placeholderPrefix, len(rw.consts))
		rw.consts[name] = unitConst{value: t.value, unit: t.unit, text: t.text}
		edits = append(edits, edit{from: t.from, to: t.to, text: name})
	}
	edits = append(edits, coalesceParens(toks)...)
	rw.apply(edits)
	return rw, nil
}

// apply builds the rewritten text and the position map.
func (rw *rewrite) apply(edits []edit) {
	// Insertions (from == to) sort before replacements at the same offset;
	// closing parens are inserted after the token that ends there.
	sortEdits(edits)
	var b strings.Builder
	var m, me []int
	pos := 0
	for _, e := range edits {
		for pos < e.from {
			b.WriteRune(rw.orig[pos])
			m = append(m, pos)
			me = append(me, pos+1)
			pos++
		}
		for range []rune(e.text) {
			m = append(m, e.from)
			me = append(me, e.to)
		}
		b.WriteString(e.text)
		pos = e.to
	}
	for pos < len(rw.orig) {
		b.WriteRune(rw.orig[pos])
		m = append(m, pos)
		me = append(me, pos+1)
		pos++
	}
	m = append(m, len(rw.orig))
	rw.text = b.String()
	rw.toOrig = m
	rw.toOrigEnd = me
}

func sortEdits(edits []edit) {
	// Insertion sort: rules are short and edits few.
	for i := 1; i < len(edits); i++ {
		for j := i; j > 0 && editLess(edits[j], edits[j-1]); j-- {
			edits[j], edits[j-1] = edits[j-1], edits[j]
		}
	}
}

func editLess(a, b edit) bool {
	if a.from != b.from {
		return a.from < b.from
	}
	// At the same offset: ")" insertions first (they close what ended
	// before), then "(" insertions, then replacements.
	rank := func(e edit) int {
		switch {
		case e.from == e.to && strings.HasPrefix(e.text, ")"):
			return 0
		case e.from == e.to:
			return 1
		}
		return 2
	}
	return rank(a) < rank(b)
}

// origOffset maps a rune offset in the rewritten text to the original.
func (rw *rewrite) origOffset(i int) int {
	if i < 0 {
		return 0
	}
	if i >= len(rw.toOrig) {
		return len(rw.orig)
	}
	return rw.toOrig[i]
}

// origSpan maps a rewritten span [from, to) to the original text, widening
// it to cover whole unit literals.
func (rw *rewrite) origSpan(from, to int) (int, int) {
	of := rw.origOffset(from)
	if to <= from {
		return of, of
	}
	ot := len(rw.orig)
	if to-1 < len(rw.toOrigEnd) {
		ot = rw.toOrigEnd[to-1]
	}
	if ot < of {
		ot = of
	}
	return of, ot
}

// coalesceParens puts parentheses around each chain a ?? b ?? c so that it
// can be compared or combined: expr refuses "coupon ?? 0 > 5" without them,
// although ?? binds tighter than any other binary operator.
func coalesceParens(toks []token) []edit {
	match := matchBrackets(toks)
	var edits []edit
	for i := 0; i < len(toks); i++ {
		if toks[i].kind != tkOp || toks[i].text != "??" {
			continue
		}
		start := postfixStart(toks, i-1, match)
		if start < 0 {
			continue
		}
		end := -1
		j := i
		for j < len(toks) && toks[j].kind == tkOp && toks[j].text == "??" {
			e := operandEnd(toks, j+1, match)
			if e < 0 {
				break
			}
			end = e
			j = e + 1
		}
		if end < 0 {
			continue
		}
		edits = append(edits,
			edit{from: toks[start].from, to: toks[start].from, text: "("},
			edit{from: toks[end].to, to: toks[end].to, text: ")"})
		i = j - 1
	}
	return edits
}

// matchBrackets returns, for each bracket token, the index of its partner
// (or -1 when unbalanced).
func matchBrackets(toks []token) []int {
	m := make([]int, len(toks))
	var stack []int
	for i, t := range toks {
		m[i] = -1
		switch t.kind {
		case tkOpen:
			stack = append(stack, i)
		case tkClose:
			if len(stack) > 0 {
				o := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				m[i], m[o] = o, i
			}
		}
	}
	return m
}

func isAtom(t token) bool {
	switch t.kind {
	case tkIdent:
		return !binaryWords[t.text] && t.text != "not" && t.text != "let" && t.text != "if" && t.text != "else"
	case tkNumber, tkUnit, tkString, tkPointer:
		return true
	}
	return false
}

func isDot(t token) bool { return t.kind == tkOp && (t.text == "." || t.text == "?.") }

// postfixStart finds the first token of the postfix expression (a.b[c](d))
// that ends at token k.
func postfixStart(toks []token, k int, match []int) int {
	for k >= 0 {
		t := toks[k]
		switch {
		case t.kind == tkClose:
			o := match[k]
			if o < 0 {
				return -1
			}
			k = o
			if (toks[k].text == "(" || toks[k].text == "[") && k > 0 &&
				(isAtom(toks[k-1]) || toks[k-1].kind == tkClose || isDot(toks[k-1])) {
				if isDot(toks[k-1]) {
					// x?.[i]
					k--
					if k > 0 && (isAtom(toks[k-1]) || toks[k-1].kind == tkClose) {
						k--
						continue
					}
					return k
				}
				k--
				continue
			}
			return k
		case isAtom(t):
			if k > 0 && isDot(toks[k-1]) {
				if k > 1 && (isAtom(toks[k-2]) || toks[k-2].kind == tkClose) {
					k -= 2
					continue
				}
				return k - 1
			}
			return k
		default:
			return -1
		}
	}
	return -1
}

// operandEnd finds the last token of the operand (with unary prefixes and
// postfix accesses) that starts at token k.
func operandEnd(toks []token, k int, match []int) int {
	n := len(toks)
	for k < n && (toks[k].kind == tkOp && (toks[k].text == "-" || toks[k].text == "+" || toks[k].text == "!") ||
		toks[k].kind == tkIdent && toks[k].text == "not") {
		k++
	}
	if k >= n {
		return -1
	}
	switch t := toks[k]; {
	case t.kind == tkOpen:
		if match[k] < 0 {
			return -1
		}
		k = match[k]
	case isAtom(t):
	case isDot(t) && k+1 < n && toks[k+1].kind == tkIdent:
		k++
	default:
		return -1
	}
	for k+1 < n {
		nx := toks[k+1]
		switch {
		case isDot(nx) && k+2 < n && toks[k+2].kind == tkIdent:
			k += 2
		case isDot(nx) && k+2 < n && toks[k+2].kind == tkOpen && match[k+2] > 0:
			k = match[k+2]
		case nx.kind == tkOpen && (nx.text == "(" || nx.text == "[") && match[k+1] > 0:
			k = match[k+1]
		default:
			return k
		}
	}
	return k
}
