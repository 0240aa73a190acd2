package rules

import (
	"reflect"
	"slices"
	"time"

	"github.com/spreadwatch/spreadwatch/market"
)

// Env is what a rule is type-checked against: the built-in variables plus
// the benchmark ids that exist. Every Env, the zero Env included, declares
// the benchmark utility, which spread is defined against: a rule that
// reads it compiles on any feed and lacks data where the feed has no
// utility level.
//
// An Env is immutable and safe for concurrent use.
type Env struct {
	benchmarks []string
}

// EnvFor returns the environment of s: every benchmark of s whose id is a
// valid identifier that is not already a variable name.
func EnvFor(s *market.Snapshot) Env {
	if s == nil {
		return Env{}
	}
	var ids []string
	for _, b := range s.Benchmarks {
		ids = append(ids, b.ID)
	}
	return NewEnv(ids...)
}

// NewEnv returns an environment with the given benchmark ids. Ids that are
// not valid identifiers, or that clash with a variable or function name,
// are left out.
func NewEnv(benchmarks ...string) Env {
	var e Env
	for _, id := range benchmarks {
		if validBenchmarkID(id) && !slices.Contains(e.benchmarks, id) {
			e.benchmarks = append(e.benchmarks, id)
		}
	}
	return e
}

// Benchmarks returns the benchmark ids a rule may read: utility, then
// the others of the data.
func (e Env) Benchmarks() []string { return e.benchNames() }

// utilityID is the benchmark spread is defined against; it is declared
// in every Env.
const utilityID = "utility"

// benchNames returns the benchmark ids a rule may read, utility first.
func (e Env) benchNames() []string {
	names := make([]string, 0, len(e.benchmarks)+1)
	names = append(names, utilityID)
	for _, b := range e.benchmarks {
		if b != utilityID {
			names = append(names, b)
		}
	}
	return names
}

// hasBench reports whether name is a benchmark a rule may read.
func (e Env) hasBench(name string) bool {
	return name == utilityID || slices.Contains(e.benchmarks, name)
}

// validBenchmarkID reports whether id can be a rule variable.
func validBenchmarkID(id string) bool {
	if id == "" || len(id) > 64 || id[0] == '_' && len(id) > 1 && id[1] == '_' {
		return false
	}
	for i, r := range id {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	if _, ok := lookupVar(id); ok {
		return false
	}
	if reserved[id] || historyFuncs[id] || allowedBuiltins[id] || disabledBuiltins[id] {
		return false
	}
	return true
}

// reserved are expr's keywords and constants.
var reserved = map[string]bool{
	"and": true, "or": true, "not": true, "in": true, "matches": true, "contains": true,
	"startsWith": true, "endsWith": true, "let": true, "if": true, "else": true,
	"true": true, "false": true, "nil": true, "$env": true,
}

// historyFuncs are the functions that read older snapshots.
var historyFuncs = map[string]bool{
	"prev": true, "change": true, "crossed_above": true, "crossed_below": true,
}

// allowedBuiltins are expr's builtins available in rules: those whose cost
// is bounded by their input.
var allowedBuiltins = map[string]bool{
	"all": true, "none": true, "any": true, "one": true, "filter": true, "map": true,
	"find": true, "findIndex": true, "findLast": true, "findLastIndex": true, "count": true,
	"sum": true, "groupBy": true, "sortBy": true, "len": true, "type": true, "abs": true,
	"ceil": true, "floor": true, "round": true, "int": true, "float": true, "trim": true,
	"trimPrefix": true, "trimSuffix": true, "upper": true, "lower": true, "indexOf": true,
	"lastIndexOf": true, "hasPrefix": true, "hasSuffix": true, "max": true, "min": true,
	"mean": true, "median": true, "now": true, "duration": true, "date": true,
	"timezone": true, "first": true, "last": true, "get": true, "take": true, "keys": true,
	"values": true, "reverse": true, "uniq": true, "sort": true,
}

// disabledBuiltins are expr's builtins that can build values much larger
// than the rule (strings, flattened arrays), so a rule could exhaust memory
// or time with them. They are refused at compile time.
var disabledBuiltins = map[string]bool{
	"reduce": true, "string": true, "split": true, "splitAfter": true, "replace": true,
	"repeat": true, "join": true, "toJSON": true, "fromJSON": true, "toBase64": true,
	"fromBase64": true, "toPairs": true, "fromPairs": true, "concat": true, "flatten": true,
	"bitand": true, "bitor": true, "bitxor": true, "bitnand": true, "bitnot": true,
	"bitshl": true, "bitshr": true, "bitushr": true, "sprintf": true,
}

// typeEnv returns the map rules are type-checked against: a value of the
// right type for every variable and benchmark, plus extra hidden ones.
func (e Env) typeEnv(extra map[string]any) map[string]any {
	m := make(map[string]any, int(numVars)+len(e.benchmarks)+len(extra)+1)
	for _, d := range varDefs {
		m[d.name] = d.sample
	}
	m[utilityID] = float64(0)
	for _, b := range e.benchmarks {
		m[b] = float64(0)
	}
	m[unkVar] = false
	for k, v := range extra {
		m[k] = v
	}
	return m
}

// zeroOf returns a value of type t for the type-check environment.
func zeroOf(t reflect.Type) any {
	if t == nil || t.Kind() == reflect.Interface {
		return nil
	}
	return reflect.Zero(t).Interface()
}

var durationType = reflect.TypeFor[time.Duration]()
