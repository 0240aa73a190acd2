// Package rules is spreadwatch's rule language: expr expressions
// (github.com/expr-lang/expr) with unit literals, type-checked against the
// market data, evaluated per issuer, bond or project.
//
// # Language
//
// A rule is an expression that yields true or false; one that cannot
// (nil, coupon ?? nil, a number) is a compile error:
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
// follows it: 100 % 7, 100%7 and x%(y) are modulo. Modulo works on any
// numbers: integer modulo for two integers, math.Mod otherwise
// (operating_mw % 7).
//
// Arithmetic is checked: a division or modulo by zero, and a result that
// is not a finite number (an overflow, 0 ** -1, a fractional power of a
// negative number), give the instance an [Error] outcome, never a
// silent match. 0/0 is an error, not NaN.
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
// treasury_10y, … as in the data) are visible everywhere. utility, which
// spread is defined against, is declared in every [Env]: a rule reading it
// compiles on any feed and lacks data where the feed has no utility
// benchmark. Other benchmark ids come from the data, so a misspelled one
// is a compile error with a suggestion. A rule that
// reads a bond variable (bond_id, coupon, yield, price, maturity,
// years_to_maturity, amount_usd, secured, bond_kind, spread, coupon_spread)
// is evaluated per bond; one that reads a project variable (project_id,
// project, status, mw_original, mw_current, mw_cut, slip_days, slip,
// stale_days) per project; any other per issuer. A rule that reads both is
// refused. List elements have the feed's field names (.coupon, .mw,
// .counterparty_ticker, .id, …).
//
// An unknown value is never counted as zero. planned_mw is contracted +
// pipeline, unknown when either is unknown; pipeline_ratio is planned_mw
// / operating_mw, unknown when either is unknown or operating_mw is 0.
// Aggregates over lists count unknown elements as absent, as the contract
// defines debt_usd: max_coupon is the largest known coupon, debt_usd and
// offtake_mw sum the known values (0 without bonds or offtakes, unknown
// when there are some but none is known), top_customer_share is the
// largest known contract value over their sum. spread is yield − utility,
// or coupon − utility when the yield is unknown.
//
// # Missing data
//
// An unknown value (null in the feed) makes the instance lack data when
// the outcome depends on it: the outcome is then [LacksData], naming the
// unknown value, never a silent no-match. Rules use three-valued (Kleene)
// logic: coupon > 5 || secured == true holds for a 6% coupon whatever
// secured is, coupon > 50 && secured == true fails, and the order of the
// operands does not matter. Values only read as x ?? default, x == nil or
// x != nil are the author's explicit choice and never lack data.
//
// How it works: each smallest true-or-false part of a rule (a comparison,
// a true-or-false variable, the predicate of any, all or none, …) that
// reads an unknown value counts as false in one run and true in another,
// or the other way round under a negation (!, not, none, the right side of
// >); if the two runs agree, the unknown values do not matter. This holds
// for variables, benchmarks, history calls without an old enough
// snapshot, and fields of list elements: any(offtakes, .mw >= 150) holds
// for an issuer with a known 400 MW offtake even if another offtake's MW
// is unknown, and any(bonds, !.secured) lacks data when no bond is known
// to be unsecured and one bond's secured is null. An unknown value in a
// place whose effect cannot be bounded that way (an == between
// true-or-false values, one(…), the condition of ?:, a count compared
// with ==) makes the instance lack data when it is reached. An unknown
// value inside arithmetic makes the result unknown. Missing names an
// unknown variable the rule needs (the first in the table of variables),
// else a benchmark, a history call or a list element's field
// ("offtakes[CRWV-META].mw").
//
// A rule is compiled twice: the main program runs when every value it
// needs is known, which costs about as much as running the expression in
// expr's VM, after a check against a mask of unknown values prepared in
// the [Index]; the guarded program runs for the other subjects.
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
// concatenation are not available. Run-time failures (division by zero,
// an index out of range) give the instance an [Error] outcome with a
// one-line reason in the rule's words (no Go types, no runtime panics);
// they never stop other subjects or rules.
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
