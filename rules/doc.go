// Package rules is spreadwatch's rule language: expr expressions
// (github.com/expr-lang/expr) with unit literals, type-checked against the
// market data, evaluated per issuer, bond or project.
//
// # Language
//
// A rule is an expression that yields true or false:
//
//	coupon > utility + 400bp
//	spread > 450bp && secured == false
//	mw_cut > 0 || slip > 90d
//	any(offtakes, .counterparty_ticker == "CRWV") && max_coupon > 8%
//	change(spread, "30d") > 50bp
//
// Numbers may carry a unit, rewritten before expr sees the rule: 400bp and
// 400bps are 4 (rates are percent points), 4.5% and 4.5pct are 4.5, 200MW
// is 200 and 1.5GW is 1500 (megawatts), $500m, 500mm and $1.2bn are US
// dollars, and 12h, 90d, 2w, 6mo and 2y are durations (a month is 365/12 =
// 30.42 days, so 6mo is 182.5 days; a year is 365 days). Units are case
// insensitive and come from [market.LookupSuffix]. An unknown unit is a
// compile error that lists the known ones. Units inside string literals are
// left alone, and % glued to a number is a percent sign unless an operand
// follows it: 100 % 7, 100%7 and x%(y) are modulo.
//
// expr refuses to mix ?? with other operators; rules accept it, reading
// coupon ?? 0 > 5 as (coupon ?? 0) > 5 (?? binds tightest in expr).
//
// # Variables and subjects
//
// Issuer variables (ticker, name, kind, rating, operating_mw,
// contracted_mw, pipeline_mw, secured_power_mw, planned_mw,
// pipeline_ratio, max_coupon, debt_usd, top_customer_share, offtake_mw and
// the lists bonds, projects and offtakes) and benchmark levels (utility,
// treasury_10y, … as in the data) are visible everywhere. A rule that
// reads a bond variable (bond_id, coupon, yield, price, maturity,
// years_to_maturity, amount_usd, secured, bond_kind, spread, coupon_spread)
// is evaluated per bond; one that reads a project variable (project_id,
// project, status, mw_original, mw_current, mw_cut, slip_days, slip,
// stale_days) per project; any other per issuer. A rule that reads both is
// refused. List elements have the feed's field names (.coupon, .mw,
// .counterparty_ticker, .id, …).
//
// Derived issuer values count unknown inputs as absent where a sum makes
// sense: planned_mw is contracted + pipeline (unknown only when both are),
// max_coupon is the largest known coupon, debt_usd and offtake_mw sum the
// known values (0 without bonds or offtakes, unknown when there are some
// but none is known), top_customer_share is the largest known contract
// value over their sum. pipeline_ratio is unknown when operating_mw is
// unknown or 0. spread is yield − utility, or coupon − utility when the
// yield is unknown.
//
// # Missing data
//
// A variable that is unknown (null in the feed) makes the instance lack
// data: the outcome is [LacksData], naming the variable, never a silent
// no-match. Before running a rule, [Program.Eval] checks the variables it
// reads against a mask prepared in the [Index]; variables only read as
// x ?? default, x == nil or x != nil are the author's explicit choice and
// are not checked. Inside lists an unknown field (an offtake without MW)
// makes the rule lack data only when the outcome depends on it: the rule
// runs with comparisons of unknown values false, then true, and lacks data
// if the two runs disagree. any(offtakes, .mw >= 150) holds for an issuer
// with a known 400 MW offtake even if another offtake's MW is unknown.
//
// # History
//
// prev(x) is x in the newest snapshot before this one; change(x, 30d) or
// change(x, "30d") is x now minus x in the newest snapshot at least 30 days
// older; crossed_above(x, y) is x > y now and x <= y at the previous
// snapshot (crossed_below likewise). Each call's argument is compiled on
// its own and evaluated for the same subject in the older [Index] that a
// [History] returns; the call is replaced by a hidden variable. Without an
// old enough snapshot, or when the subject is not in it, the rule lacks
// data.
//
// # Limits
//
// Rules are at most [MaxSourceLen] bytes and [MaxNodes] syntax nodes. Each
// evaluation has a budget of [MemoryBudget] units: arrays and ranges cost
// their length, and every step of a predicate (any, all, map, …) costs at
// least two units, more for big predicates, so nested loops end quickly
// with an [Error] outcome. Builtins that can build values much larger than
// the rule (repeat, join, reduce, flatten, toJSON, …) and string
// concatenation are not available. Run-time failures (integer division by
// zero, an index out of range) give the instance an [Error] outcome with a
// one-line reason; they never stop other subjects or rules.
//
// # Evaluating many rules
//
// [Program.Eval] builds a full [Result] per subject: the detail and the
// values the rule reads, formatted with units. A caller that evaluates
// many rules repeatedly and acts only on what changed uses the lean path
// instead: [Program.Outcomes] appends one [Decision] (outcome and missing
// variable) per subject to a reused slice and allocates nothing beyond
// what the rule's expression allocates in the VM (arithmetic on values,
// predicates); [Program.Describe] then builds the full Result for the few
// subjects that need it. [Program.Decide] is the lean [Program.EvalOne].
//
// # Concurrency
//
// A [Program] and an [Index] are immutable and safe for concurrent use; an
// Index is built once per snapshot and shared by every rule.
package rules
