package rules

import (
	"fmt"
	"maps"
	"math"
	"math/bits"
	"reflect"
	"sync"
	"time"

	"github.com/expr-lang/expr/vm"

	"github.com/spreadwatch/spreadwatch/market"
)

// unkVar is the hidden variable that tells the comparison helper what an
// unknown element value compares as (see Program.Eval).
const unkVar = "__unk"

// Index is the evaluation environment of one snapshot, built once and
// shared by every rule: for each issuer, bond and project, the values of
// all variables, with what is unknown marked in advance so that a rule can
// tell cheaply whether it lacks data.
//
// The values of an issuer's variables are held once and shared by its
// bonds and projects, which hold only their own; the map a rule runs on
// is filled from them, per evaluation context (see evalCtx), with the
// variables the rule reads.
//
// An Index is immutable and safe for concurrent use.
type Index struct {
	snap     *market.Snapshot
	subjects [3][]subject
	byID     [3]map[string]int
	bench    map[string]Value
	// benchEnv maps every benchmark to its level (nil when unknown), as
	// rules read them.
	benchEnv map[string]any
	// benchWhy says why a benchmark is unknown, when there is more to say.
	benchWhy map[string]string
	// ctxs pools *evalCtx.
	ctxs sync.Pool
}

// Variables of issuers come first in varDefs, then those of bonds, then
// those of projects.
const (
	numIssuerVars = vBondID
	firstBondVar  = vBondID
	firstProjVar  = vProjectID
	numBondVars   = vProjectID - vBondID
	numProjVars   = numVars - vProjectID
	// maxOwn is the most variables a bond or project has of its own.
	maxOwn = max(numBondVars, numProjVars)
	// issuerVarMask has the bits of the issuer variables.
	issuerVarMask = uint64(1)<<numIssuerVars - 1
	// allVarMask has the bits of every variable.
	allVarMask = uint64(1)<<numVars - 1
)

// ownRange returns the varDefs indexes [lo, hi) of the variables a subject
// of kind k has of its own.
func ownRange(k Subject) (lo, hi int) {
	switch k {
	case SubjectBond:
		return firstBondVar, firstProjVar
	case SubjectProject:
		return firstProjVar, numVars
	}
	return 0, 0
}

// issuerData are the variables of one issuer, shared by the issuer and its
// bonds and projects.
type issuerData struct {
	// vals are the values of the issuer variables; unknown ones are nil.
	vals [numIssuerVars]any
	// values are vals formatted.
	values [numIssuerVars]Value
	// why explains an unknown derived value.
	why [numIssuerVars]string
	// unknown has bit i set when varDefs[i] is unknown.
	unknown uint64
	// huge is set when a number of the issuer or a benchmark is so large
	// that adding to it may overflow.
	huge  bool
	lists *itemLists
}

// subject is one issuer, bond or project.
type subject struct {
	kind   Subject
	id     string
	ticker string
	iss    *issuerData
	// huge is set when a number of the subject is so large that adding
	// to it may overflow.
	huge bool
	// unknown has bit i set when varDefs[i] is unknown.
	unknown uint64
	// elemUnknown has bit i set when elemFields[i] is unknown in some
	// element of the issuer's lists; iss.lists.missing[i] then names the
	// first such element, e.g. "offtakes[CRWV-META].mw".
	elemUnknown uint64
	// own are the values of the subject's own variables (those of bonds
	// or projects), by varDefs index from the first of them; unknown ones
	// are nil.
	own [maxOwn]any
	// why explains an unknown derived value of own, like own; nil when
	// there is nothing to explain. It is shared between subjects.
	why *[maxOwn]string
}

// val returns the value of variable i for s: nil when it is unknown or not
// a variable of s.
func (s *subject) val(i int) any {
	if i < numIssuerVars {
		return s.iss.vals[i]
	}
	if lo, hi := ownRange(s.kind); i >= lo && i < hi {
		return s.own[i-lo]
	}
	return nil
}

// value returns variable i of s formatted; the zero Value when it is not
// a variable of s.
func (s *subject) value(i int) Value {
	if i < numIssuerVars {
		return s.iss.values[i]
	}
	if lo, hi := ownRange(s.kind); i >= lo && i < hi {
		return makeValue(i, s.own[i-lo], s.unknown&(1<<uint(i)) == 0)
	}
	return Value{}
}

// whyOf explains why variable i of s is unknown ("" when there is nothing
// to say).
func (s *subject) whyOf(i int) string {
	if i < numIssuerVars {
		return s.iss.why[i]
	}
	if lo, hi := ownRange(s.kind); i >= lo && i < hi && s.why != nil {
		return s.why[i-lo]
	}
	return ""
}

// elemMissing names the first element with field elemFields[bit] unknown.
func (s *subject) elemMissing(bit int) string { return s.iss.lists.missing[bit] }

// makeValue formats v, the value of variable i.
func makeValue(i int, v any, known bool) Value {
	d := &varDefs[i]
	val := Value{Name: d.name, Known: known}
	if !known {
		val.Text = "unknown"
		return val
	}
	val.Text = formatValue(d.dim, v)
	if f, ok := toFloat(v); ok {
		val.Num = f
	} else if t, ok := v.(time.Time); ok {
		val.Num = float64(t.Unix())
	}
	return val
}

// isHuge reports whether v is a number so large that adding to it may
// overflow.
func isHuge(v any) bool {
	f, ok := toFloat(v)
	return ok && math.Abs(f) >= hugeNumber
}

// NewIndex builds the evaluation environment of s, which must not be nil.
// It does not modify s, which must not be modified afterwards.
func NewIndex(s *market.Snapshot) *Index {
	ix := &Index{snap: s, bench: map[string]Value{}, benchEnv: map[string]any{}, benchWhy: map[string]string{}}
	ix.ctxs.New = func() any { return ix.newCtx() }
	var utility *float64
	for _, b := range s.Benchmarks {
		if !validBenchmarkID(b.ID) {
			continue
		}
		if b.Level != nil {
			ix.benchEnv[b.ID] = *b.Level
			ix.bench[b.ID] = Value{Name: b.ID, Text: market.FormatRate(*b.Level), Num: *b.Level, Known: true}
		} else {
			ix.benchEnv[b.ID] = nil
			ix.bench[b.ID] = Value{Name: b.ID, Text: "unknown"}
		}
		if b.ID == utilityID {
			utility = b.Level
		}
	}
	if _, ok := ix.bench[utilityID]; !ok {
		// utility is declared in every Env (spread is defined against it).
		ix.benchEnv[utilityID] = nil
		ix.bench[utilityID] = Value{Name: utilityID, Text: "unknown"}
		ix.benchWhy[utilityID] = "no benchmark utility in the data"
	}
	hugeBench := false
	for _, v := range ix.benchEnv {
		if f, ok := v.(float64); ok && math.Abs(f) >= hugeNumber {
			hugeBench = true
		}
	}
	nb, np := 0, 0
	for ii := range s.Issuers {
		nb += len(s.Issuers[ii].Bonds)
		np += len(s.Issuers[ii].Projects)
	}
	ix.subjects[SubjectIssuer] = make([]subject, 0, len(s.Issuers))
	ix.subjects[SubjectBond] = make([]subject, 0, nb)
	ix.subjects[SubjectProject] = make([]subject, 0, np)
	ix.byID[SubjectIssuer] = make(map[string]int, len(s.Issuers))
	ix.byID[SubjectBond] = make(map[string]int, nb)
	ix.byID[SubjectProject] = make(map[string]int, np)
	// whys interns the explanations of subjects: few distinct ones recur.
	whys := map[[maxOwn]string]*[maxOwn]string{}
	var vals, sub varVals
	for ii := range s.Issuers {
		is := &s.Issuers[ii]
		vals = varVals{}
		issuerValues(is, &vals)
		lists := buildLists(is)
		vals.set(vBonds, lists.bonds, true)
		vals.set(vProjects, lists.projects, true)
		vals.set(vOfftakes, lists.offtakes, true)
		iss := newIssuerData(&vals, lists, hugeBench)

		ix.add(SubjectIssuer, is.Ticker, is.Ticker, iss, nil, whys)
		for bi := range is.Bonds {
			b := &is.Bonds[bi]
			sub = vals
			bondValues(b, s.AsOf, utility, ix.benchWhy[utilityID], &sub)
			ix.add(SubjectBond, b.ID, is.Ticker, iss, &sub, whys)
		}
		for pi := range is.Projects {
			p := &is.Projects[pi]
			sub = vals
			projectValues(p, s.AsOf, &sub)
			ix.add(SubjectProject, p.ID, is.Ticker, iss, &sub, whys)
		}
	}
	return ix
}

// newIssuerData collects the issuer variables of vals.
func newIssuerData(vals *varVals, lists *itemLists, hugeBench bool) *issuerData {
	iss := &issuerData{lists: lists, huge: hugeBench}
	for i := range numIssuerVars {
		v := vals.v[i]
		iss.vals[i] = v
		iss.why[i] = vals.why[i]
		iss.values[i] = makeValue(i, v, vals.known[i])
		if !vals.known[i] {
			iss.unknown |= 1 << uint(i)
		} else if isHuge(v) {
			iss.huge = true
		}
	}
	return iss
}

// Snapshot returns the snapshot the index was built from.
func (ix *Index) Snapshot() *market.Snapshot { return ix.snap }

// lookup finds a subject by bond or project id, or ticker for issuers.
func (ix *Index) lookup(k Subject, id string) (*subject, bool) {
	i, ok := ix.byID[k][id]
	if !ok {
		return nil, false
	}
	return &ix.subjects[k][i], true
}

// add appends a subject of kind k; vals holds its own variables (nil for
// an issuer).
func (ix *Index) add(k Subject, id, ticker string, iss *issuerData, vals *varVals, whys map[[maxOwn]string]*[maxOwn]string) {
	s := subject{kind: k, id: id, ticker: ticker, iss: iss, huge: iss.huge, unknown: iss.unknown, elemUnknown: iss.lists.unknown}
	if lo, hi := ownRange(k); vals != nil && hi > lo {
		var why [maxOwn]string
		anyWhy := false
		for i := lo; i < hi; i++ {
			v := vals.v[i]
			s.own[i-lo] = v
			if !vals.known[i] {
				s.unknown |= 1 << uint(i)
			} else if isHuge(v) {
				s.huge = true
			}
			if w := vals.why[i]; w != "" {
				why[i-lo] = w
				anyWhy = true
			}
		}
		if anyWhy {
			w, ok := whys[why]
			if !ok {
				w = new([maxOwn]string)
				*w = why
				whys[why] = w
			}
			s.why = w
		}
	}
	ix.byID[k][id] = len(ix.subjects[k])
	ix.subjects[k] = append(ix.subjects[k], s)
}

// evalCtx is what one evaluation needs: a VM, and the map the rules run
// on. It belongs to one Index and is used by one goroutine at a time (it
// is taken from and returned to the Index's pool).
//
// env holds the benchmarks of the index, unkVar (false, but for the
// second run of a rule), the hidden variables of the last history rule,
// and the variables loaded for sub: those with their bit in have hold the
// values of sub; the others may hold those of another subject, so a rule
// must load the variables it reads (see load).
type evalCtx struct {
	m    *vm.VM
	env  map[string]any
	sub  *subject
	have uint64
	// exact is the environment of one subject holding exactly its
	// variables, the benchmarks and unkVar, for rules that read $env.
	exact map[string]any
}

func (ix *Index) newCtx() *evalCtx {
	c := &evalCtx{m: &vm.VM{MemoryBudget: MemoryBudget}, env: make(map[string]any, int(numVars)+len(ix.benchEnv)+8)}
	maps.Copy(c.env, ix.benchEnv)
	c.env[unkVar] = false
	return c
}

func (ix *Index) getCtx() *evalCtx  { return ix.ctxs.Get().(*evalCtx) }
func (ix *Index) putCtx(c *evalCtx) { ix.ctxs.Put(c) }

// load makes c.env hold the variables of s with their bit in need, and
// returns it.
func (c *evalCtx) load(s *subject, need uint64) map[string]any {
	if s != c.sub {
		if c.sub == nil || c.sub.iss != s.iss {
			c.have = 0
		} else {
			c.have &= issuerVarMask
		}
		c.sub = s
	}
	for miss := need &^ c.have; miss != 0; miss &= miss - 1 {
		i := bits.TrailingZeros64(miss)
		c.env[varDefs[i].name] = s.val(i)
	}
	c.have |= need
	return c.env
}

// envFor returns the map a rule that reads the variables in need runs on
// for s; with all set (the rule reads $env), a map holding exactly the
// variables of s, the benchmarks of ix and unkVar.
func (c *evalCtx) envFor(ix *Index, s *subject, need uint64, all bool) map[string]any {
	if !all {
		return c.load(s, need)
	}
	if c.exact == nil {
		c.exact = make(map[string]any, len(c.env))
	}
	clear(c.exact)
	ix.fillEnv(c.exact, s)
	return c.exact
}

// fillEnv adds to env the variables of s, the benchmarks and unkVar
// (false).
func (ix *Index) fillEnv(env map[string]any, s *subject) {
	maps.Copy(env, ix.benchEnv)
	for i := range numIssuerVars {
		env[varDefs[i].name] = s.iss.vals[i]
	}
	lo, hi := ownRange(s.kind)
	for i := lo; i < hi; i++ {
		env[varDefs[i].name] = s.own[i-lo]
	}
	env[unkVar] = false
}

// subjectEnv returns a new map holding exactly the variables of s, the
// benchmarks and unkVar (false).
func (ix *Index) subjectEnv(s *subject) map[string]any {
	env := make(map[string]any, int(numVars)+len(ix.benchEnv)+1)
	ix.fillEnv(env, s)
	return env
}

// varVals collects the values of the variables of one subject.
type varVals struct {
	v     [numVars]any
	known [numVars]bool
	why   [numVars]string
}

func (vv *varVals) set(i int, v any, known bool) {
	if known {
		vv.v[i], vv.known[i] = v, true
	} else {
		vv.v[i], vv.known[i] = nil, false
	}
}

func (vv *varVals) num(i int, p *float64) {
	if p != nil && !math.IsNaN(*p) {
		vv.set(i, *p, true)
	} else {
		vv.set(i, nil, false)
	}
}

func (vv *varVals) unknownBecause(i int, why string) {
	vv.set(i, nil, false)
	vv.why[i] = why
}

// issuerValues computes the issuer variables.
//
// Derived values and unknown inputs:
//   - planned_mw is contracted_mw + pipeline_mw; unknown when either is
//     unknown (unknown is never zero).
//   - pipeline_ratio is planned_mw / operating_mw; unknown when either is
//     unknown or operating_mw is 0.
//   - max_coupon is the largest known coupon; unknown when no coupon is
//     known.
//   - debt_usd sums the known bond amounts: 0 with no bonds, unknown when
//     there are bonds but no amount is known.
//   - top_customer_share is the largest offtake contract value over the
//     sum of the known contract values; unknown when none is known.
//   - offtake_mw sums the known offtake MW: 0 with no offtakes, unknown
//     when there are offtakes but no MW is known.
func issuerValues(is *market.Issuer, vv *varVals) {
	c := is.Capacity
	vv.set(vTicker, is.Ticker, true)
	vv.set(vName, is.Name, true)
	vv.set(vKind, is.Kind, true)
	vv.set(vRating, is.Rating, true)
	vv.num(vOperatingMW, c.OperatingMW)
	vv.num(vContractedMW, c.ContractedMW)
	vv.num(vPipelineMW, c.PipelineMW)
	vv.num(vSecuredPowerMW, c.SecuredPowerMW)

	switch {
	case !vv.known[vContractedMW] && !vv.known[vPipelineMW]:
		vv.unknownBecause(vPlannedMW, "contracted_mw and pipeline_mw are unknown")
	case !vv.known[vContractedMW]:
		vv.unknownBecause(vPlannedMW, "contracted_mw is unknown")
	case !vv.known[vPipelineMW]:
		vv.unknownBecause(vPlannedMW, "pipeline_mw is unknown")
	default:
		vv.set(vPlannedMW, *c.ContractedMW+*c.PipelineMW, true)
	}
	switch {
	case !vv.known[vPlannedMW]:
		vv.unknownBecause(vPipelineRatio, vv.why[vPlannedMW])
	case !vv.known[vOperatingMW]:
		vv.unknownBecause(vPipelineRatio, "operating_mw is unknown")
	case *c.OperatingMW == 0:
		vv.unknownBecause(vPipelineRatio, "operating_mw is 0")
	default:
		vv.set(vPipelineRatio, vv.v[vPlannedMW].(float64) / *c.OperatingMW, true)
	}

	maxC, anyC := 0.0, false
	debt, anyAmt := 0.0, false
	for _, b := range is.Bonds {
		if b.Coupon != nil && (!anyC || *b.Coupon > maxC) {
			maxC, anyC = *b.Coupon, true
		}
		if b.AmountUSD != nil {
			debt += *b.AmountUSD
			anyAmt = true
		}
	}
	if anyC {
		vv.set(vMaxCoupon, maxC, true)
	} else {
		vv.unknownBecause(vMaxCoupon, "no coupon is known")
	}
	if anyAmt || len(is.Bonds) == 0 {
		vv.set(vDebtUSD, debt, true)
	} else {
		vv.unknownBecause(vDebtUSD, "no bond amount is known")
	}

	top, total, anyV := 0.0, 0.0, false
	mw, anyMW := 0.0, false
	for _, o := range is.Offtakes {
		if o.ContractValueUSD != nil {
			total += *o.ContractValueUSD
			top = math.Max(top, *o.ContractValueUSD)
			anyV = true
		}
		if o.MW != nil {
			mw += *o.MW
			anyMW = true
		}
	}
	if anyV && total > 0 {
		vv.set(vTopCustomerShare, top/total, true)
	} else {
		vv.unknownBecause(vTopCustomerShare, "no offtake contract value is known")
	}
	if anyMW || len(is.Offtakes) == 0 {
		vv.set(vOfftakeMW, mw, true)
	} else {
		vv.unknownBecause(vOfftakeMW, "no offtake MW is known")
	}
}

// bondValues computes the bond variables. spread is yield − utility when
// the yield is known, else coupon − utility.
func bondValues(b *market.Bond, asOf time.Time, utility *float64, utilityWhy string, vv *varVals) {
	noUtility := "utility is unknown"
	if utilityWhy != "" {
		noUtility = utilityWhy
	}
	vv.set(vBondID, b.ID, true)
	vv.num(vCoupon, b.Coupon)
	vv.num(vYield, b.Yield)
	vv.num(vPrice, b.Price)
	if b.Maturity.Known() {
		vv.set(vMaturity, b.Maturity.End, true)
		vv.set(vYearsToMaturity, b.Maturity.End.Sub(asOf).Hours()/24/365.25, true)
	} else {
		vv.unknownBecause(vMaturity, "")
		vv.unknownBecause(vYearsToMaturity, "maturity is unknown")
	}
	vv.num(vAmountUSD, b.AmountUSD)
	if b.Secured != nil {
		vv.set(vSecured, *b.Secured, true)
	} else {
		vv.set(vSecured, nil, false)
	}
	vv.set(vBondKind, b.Kind, true)
	switch {
	case utility == nil:
		vv.unknownBecause(vSpread, noUtility)
	case b.Yield != nil:
		vv.set(vSpread, *b.Yield-*utility, true)
	case b.Coupon != nil:
		vv.set(vSpread, *b.Coupon-*utility, true)
	default:
		vv.unknownBecause(vSpread, "yield and coupon are unknown")
	}
	switch {
	case utility == nil:
		vv.unknownBecause(vCouponSpread, noUtility)
	case b.Coupon != nil:
		vv.set(vCouponSpread, *b.Coupon-*utility, true)
	default:
		vv.unknownBecause(vCouponSpread, "coupon is unknown")
	}
}

// projectValues computes the project variables. stale_days counts from
// the end of the last_confirmed window and is never negative.
func projectValues(p *market.Project, asOf time.Time, vv *varVals) {
	vv.set(vProjectID, p.ID, true)
	vv.set(vProject, p.Name, true)
	vv.set(vStatus, p.Status, true)
	vv.num(vMWOriginal, p.MWOriginal)
	vv.num(vMWCurrent, p.MWCurrent)
	switch {
	case p.MWOriginal == nil:
		vv.unknownBecause(vMWCut, "mw_original is unknown")
	case p.MWCurrent == nil:
		vv.unknownBecause(vMWCut, "mw_current is unknown")
	default:
		vv.set(vMWCut, *p.MWOriginal-*p.MWCurrent, true)
	}
	if d, ok := market.SlipDays(p.OriginalTarget, p.CurrentTarget); ok {
		vv.set(vSlipDays, d, true)
		vv.set(vSlip, time.Duration(d*float64(day)), true)
	} else {
		why := "the original target is unknown"
		if p.OriginalTarget.Known() {
			why = "the current target is unknown"
		}
		vv.unknownBecause(vSlipDays, why)
		vv.unknownBecause(vSlip, why)
	}
	if p.LastConfirmed.Known() {
		vv.set(vStaleDays, math.Max(0, asOf.Sub(p.LastConfirmed.End).Hours()/24), true)
	} else {
		vv.unknownBecause(vStaleDays, "last_confirmed is unknown")
	}
}

// itemLists are an issuer's list variables with their unknown masks.
type itemLists struct {
	bonds    []bondItem
	projects []projectItem
	offtakes []offtakeItem
	unknown  uint64
	missing  []string
}

func buildLists(is *market.Issuer) *itemLists {
	l := &itemLists{
		bonds:    make([]bondItem, len(is.Bonds)),
		projects: make([]projectItem, len(is.Projects)),
		offtakes: make([]offtakeItem, len(is.Offtakes)),
		missing:  make([]string, len(elemFields)),
	}
	for i, b := range is.Bonds {
		l.bonds[i] = bondItem{
			ID: b.ID, Kind: b.Kind, Coupon: b.Coupon, CouponType: b.CouponType,
			Maturity: windowEnd(b.Maturity), IssueDate: windowEnd(b.IssueDate),
			AmountUSD: b.AmountUSD, IssuePrice: b.IssuePrice, Secured: b.Secured,
			Seniority: b.Seniority, Price: b.Price, Yield: b.Yield, Status: b.Status,
		}
	}
	for i, p := range is.Projects {
		it := projectItem{
			ID: p.ID, Name: p.Name, Location: p.Location, MWOriginal: p.MWOriginal,
			MWCurrent: p.MWCurrent, MWOperational: p.MWOperational,
			OriginalTarget: windowEnd(p.OriginalTarget), CurrentTarget: windowEnd(p.CurrentTarget),
			Status: p.Status, LastConfirmed: windowEnd(p.LastConfirmed), OfftakeIDs: p.OfftakeIDs,
		}
		if d, ok := market.SlipDays(p.OriginalTarget, p.CurrentTarget); ok {
			it.SlipDays = &d
		}
		l.projects[i] = it
	}
	for i, o := range is.Offtakes {
		l.offtakes[i] = offtakeItem{
			ID: o.ID, Counterparty: o.Counterparty, CounterpartyTicker: o.CounterpartyTicker,
			Type: o.Type, MW: o.MW, TermYears: o.TermYears, Start: windowEnd(o.Start),
			ContractValueUSD: o.ContractValueUSD, AnnualRevenueUSD: o.AnnualRevenueUSD,
			BackstopProvider: o.BackstopProvider, BackstopUSD: o.BackstopUSD,
		}
	}
	for bit, f := range elemFields {
		var n int
		var elem func(i int) (id string, isNil bool)
		switch f.list {
		case "bonds":
			n = len(l.bonds)
			elem = func(i int) (string, bool) { return l.bonds[i].ID, fieldIsNil(&l.bonds[i], f.index) }
		case "projects":
			n = len(l.projects)
			elem = func(i int) (string, bool) { return l.projects[i].ID, fieldIsNil(&l.projects[i], f.index) }
		case "offtakes":
			n = len(l.offtakes)
			elem = func(i int) (string, bool) { return l.offtakes[i].ID, fieldIsNil(&l.offtakes[i], f.index) }
		}
		for i := range n {
			if id, isNil := elem(i); isNil {
				l.unknown |= 1 << uint(bit)
				l.missing[bit] = fmt.Sprintf("%s[%s].%s", f.list, id, f.name)
				break
			}
		}
	}
	return l
}

// windowEnd returns the last day of a known window, or nil.
func windowEnd(w market.Window) *time.Time {
	if !w.Known() {
		return nil
	}
	t := w.End
	return &t
}

// fieldIsNil reports whether field i of the struct *p is a nil pointer.
func fieldIsNil(p any, i int) bool {
	return reflect.ValueOf(p).Elem().Field(i).IsNil()
}
