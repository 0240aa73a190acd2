package rules

import (
	"fmt"
	"maps"
	"math"
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
// An Index is immutable and safe for concurrent use.
type Index struct {
	snap     *market.Snapshot
	subjects [3][]subject
	byID     [3]map[string]int
	bench    map[string]Value
	// benchWhy says why a benchmark is unknown, when there is more to say.
	benchWhy map[string]string
	vms      sync.Pool
}

// subject is one issuer, bond or project with its prebuilt environment.
type subject struct {
	kind   Subject
	id     string
	ticker string
	// env maps every variable to its value; unknown values are nil.
	env map[string]any
	// envB is env with unkVar true; nil when every value is known.
	envB map[string]any
	// huge is set when a number of the subject is so large that adding
	// to it may overflow.
	huge bool
	// unknown has bit i set when varDefs[i] is unknown.
	unknown uint64
	// elemUnknown has bit i set when elemFields[i] is unknown in some
	// element of the issuer's lists; elemMissing[i] then names the first
	// such element, e.g. "offtakes[CRWV-META].mw".
	elemUnknown uint64
	elemMissing []string
	// values are the formatted values of all variables, by varDefs index.
	values *[numVars]Value
	// why explains an unknown derived value, by varDefs index.
	why *[numVars]string
}

// NewIndex builds the evaluation environment of s, which must not be nil.
// It does not modify s, which must not be modified afterwards.
func NewIndex(s *market.Snapshot) *Index {
	ix := &Index{snap: s, bench: map[string]Value{}, benchWhy: map[string]string{}}
	ix.vms.New = func() any { return &vm.VM{MemoryBudget: MemoryBudget} }
	for k := range ix.byID {
		ix.byID[k] = map[string]int{}
	}
	benchEnv := map[string]any{}
	var utility *float64
	for _, b := range s.Benchmarks {
		if !validBenchmarkID(b.ID) {
			continue
		}
		if b.Level != nil {
			benchEnv[b.ID] = *b.Level
			ix.bench[b.ID] = Value{Name: b.ID, Text: market.FormatRate(*b.Level), Num: *b.Level, Known: true}
		} else {
			benchEnv[b.ID] = nil
			ix.bench[b.ID] = Value{Name: b.ID, Text: "unknown"}
		}
		if b.ID == utilityID {
			utility = b.Level
		}
	}
	if _, ok := ix.bench[utilityID]; !ok {
		// utility is declared in every Env (spread is defined against it).
		benchEnv[utilityID] = nil
		ix.bench[utilityID] = Value{Name: utilityID, Text: "unknown"}
		ix.benchWhy[utilityID] = "no benchmark utility in the data"
	}
	unknownBench := false
	for _, v := range ix.bench {
		if !v.Known {
			unknownBench = true
		}
	}
	for ii := range s.Issuers {
		is := &s.Issuers[ii]
		vals := newVals()
		issuerValues(is, vals)
		lists := buildLists(is)
		vals.set(vBonds, lists.bonds, true)
		vals.set(vProjects, lists.projects, true)
		vals.set(vOfftakes, lists.offtakes, true)

		ix.add(SubjectIssuer, is.Ticker, is.Ticker, vals, benchEnv, lists, unknownBench)
		for bi := range is.Bonds {
			b := &is.Bonds[bi]
			bv := vals.clone()
			bondValues(b, s.AsOf, utility, ix.benchWhy[utilityID], bv)
			ix.add(SubjectBond, b.ID, is.Ticker, bv, benchEnv, lists, unknownBench)
		}
		for pi := range is.Projects {
			p := &is.Projects[pi]
			pv := vals.clone()
			projectValues(p, s.AsOf, pv)
			ix.add(SubjectProject, p.ID, is.Ticker, pv, benchEnv, lists, unknownBench)
		}
	}
	return ix
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

func (ix *Index) getVM() *vm.VM  { return ix.vms.Get().(*vm.VM) }
func (ix *Index) putVM(m *vm.VM) { ix.vms.Put(m) }

func (ix *Index) add(k Subject, id, ticker string, vals *varVals, benchEnv map[string]any, lists *itemLists, unknownBench bool) {
	env := make(map[string]any, int(numVars)+len(benchEnv)+1)
	maps.Copy(env, benchEnv)
	s := subject{kind: k, id: id, ticker: ticker, values: &[numVars]Value{}, why: &vals.why}
	for i := range varDefs {
		d := &varDefs[i]
		if d.subject != SubjectIssuer && d.subject != k {
			continue
		}
		v := vals.v[i]
		env[d.name] = v
		val := Value{Name: d.name, Known: vals.known[i]}
		if !vals.known[i] {
			s.unknown |= 1 << uint(i)
			val.Text = "unknown"
		} else {
			val.Text = formatValue(d.dim, v)
			if f, ok := toFloat(v); ok {
				val.Num = f
				s.huge = s.huge || math.Abs(f) >= hugeNumber
			} else if _, ok := v.(time.Time); ok {
				val.Num = float64(v.(time.Time).Unix())
			}
		}
		s.values[i] = val
	}
	env[unkVar] = false
	s.env = env
	s.elemUnknown = lists.unknown
	s.elemMissing = lists.missing
	for _, v := range benchEnv {
		if f, ok := v.(float64); ok && math.Abs(f) >= hugeNumber {
			s.huge = true
		}
	}
	if s.elemUnknown != 0 || s.unknown != 0 || unknownBench || s.huge {
		s.envB = maps.Clone(env)
		s.envB[unkVar] = true
	}
	ix.byID[k][id] = len(ix.subjects[k])
	ix.subjects[k] = append(ix.subjects[k], s)
}

// varVals collects the values of the variables of one subject.
type varVals struct {
	v     [numVars]any
	known [numVars]bool
	why   [numVars]string
}

func newVals() *varVals { return &varVals{} }

func (vv *varVals) clone() *varVals {
	c := *vv
	return &c
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
		var ids []string
		var isNil func(i int) bool
		switch f.list {
		case "bonds":
			ids = make([]string, len(l.bonds))
			for i := range l.bonds {
				ids[i] = l.bonds[i].ID
			}
			isNil = func(i int) bool { return fieldIsNil(&l.bonds[i], f.index) }
		case "projects":
			ids = make([]string, len(l.projects))
			for i := range l.projects {
				ids[i] = l.projects[i].ID
			}
			isNil = func(i int) bool { return fieldIsNil(&l.projects[i], f.index) }
		case "offtakes":
			ids = make([]string, len(l.offtakes))
			for i := range l.offtakes {
				ids[i] = l.offtakes[i].ID
			}
			isNil = func(i int) bool { return fieldIsNil(&l.offtakes[i], f.index) }
		}
		for i := range ids {
			if isNil(i) {
				l.unknown |= 1 << uint(bit)
				l.missing[bit] = fmt.Sprintf("%s[%s].%s", f.list, ids[i], f.name)
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
