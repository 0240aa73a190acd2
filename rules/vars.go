package rules

import (
	"reflect"
	"time"
)

// Subject is what a rule is evaluated for: each issuer, each bond or each
// project.
type Subject int

// The subjects a rule can have. A rule that reads a bond variable is
// evaluated per bond, one that reads a project variable per project, and
// any other rule per issuer.
const (
	SubjectIssuer Subject = iota
	SubjectBond
	SubjectProject
)

// String returns "issuer", "bond" or "project".
func (s Subject) String() string {
	switch s {
	case SubjectIssuer:
		return "issuer"
	case SubjectBond:
		return "bond"
	case SubjectProject:
		return "project"
	}
	return "unknown"
}

// varDef describes one built-in variable of the rule language.
type varDef struct {
	name    string
	subject Subject // SubjectIssuer: visible everywhere
	dim     dim
	sample  any // a value of the variable's Go type, for type checking
}

var (
	sampleNum  any = float64(0)
	sampleStr  any = ""
	sampleBool any = false
	sampleTime any = time.Time{}
	sampleDur  any = time.Duration(0)
)

// Indexes into varDefs of the variables, in the order of the table.
const (
	vTicker = iota
	vName
	vKind
	vRating
	vOperatingMW
	vContractedMW
	vPipelineMW
	vSecuredPowerMW
	vPlannedMW
	vPipelineRatio
	vMaxCoupon
	vDebtUSD
	vTopCustomerShare
	vOfftakeMW
	vBonds
	vProjects
	vOfftakes
	vBondID
	vCoupon
	vYield
	vPrice
	vMaturity
	vYearsToMaturity
	vAmountUSD
	vSecured
	vBondKind
	vSpread
	vCouponSpread
	vProjectID
	vProject
	vStatus
	vMWOriginal
	vMWCurrent
	vMWCut
	vSlipDays
	vSlip
	vStaleDays
	numVars
)

// varDefs is the table of built-in variables (rule-language.md). It is
// never modified.
var varDefs = [numVars]varDef{
	vTicker:           {"ticker", SubjectIssuer, dimString, sampleStr},
	vName:             {"name", SubjectIssuer, dimString, sampleStr},
	vKind:             {"kind", SubjectIssuer, dimString, sampleStr},
	vRating:           {"rating", SubjectIssuer, dimString, sampleStr},
	vOperatingMW:      {"operating_mw", SubjectIssuer, dimPower, sampleNum},
	vContractedMW:     {"contracted_mw", SubjectIssuer, dimPower, sampleNum},
	vPipelineMW:       {"pipeline_mw", SubjectIssuer, dimPower, sampleNum},
	vSecuredPowerMW:   {"secured_power_mw", SubjectIssuer, dimPower, sampleNum},
	vPlannedMW:        {"planned_mw", SubjectIssuer, dimPower, sampleNum},
	vPipelineRatio:    {"pipeline_ratio", SubjectIssuer, dimRatio, sampleNum},
	vMaxCoupon:        {"max_coupon", SubjectIssuer, dimRate, sampleNum},
	vDebtUSD:          {"debt_usd", SubjectIssuer, dimMoney, sampleNum},
	vTopCustomerShare: {"top_customer_share", SubjectIssuer, dimShare, sampleNum},
	vOfftakeMW:        {"offtake_mw", SubjectIssuer, dimPower, sampleNum},
	vBonds:            {"bonds", SubjectIssuer, dimList, []bondItem(nil)},
	vProjects:         {"projects", SubjectIssuer, dimList, []projectItem(nil)},
	vOfftakes:         {"offtakes", SubjectIssuer, dimList, []offtakeItem(nil)},
	vBondID:           {"bond_id", SubjectBond, dimString, sampleStr},
	vCoupon:           {"coupon", SubjectBond, dimRate, sampleNum},
	vYield:            {"yield", SubjectBond, dimRate, sampleNum},
	vPrice:            {"price", SubjectBond, dimNone, sampleNum},
	vMaturity:         {"maturity", SubjectBond, dimDate, sampleTime},
	vYearsToMaturity:  {"years_to_maturity", SubjectBond, dimYears, sampleNum},
	vAmountUSD:        {"amount_usd", SubjectBond, dimMoney, sampleNum},
	vSecured:          {"secured", SubjectBond, dimBool, sampleBool},
	vBondKind:         {"bond_kind", SubjectBond, dimString, sampleStr},
	vSpread:           {"spread", SubjectBond, dimSpread, sampleNum},
	vCouponSpread:     {"coupon_spread", SubjectBond, dimSpread, sampleNum},
	vProjectID:        {"project_id", SubjectProject, dimString, sampleStr},
	vProject:          {"project", SubjectProject, dimString, sampleStr},
	vStatus:           {"status", SubjectProject, dimString, sampleStr},
	vMWOriginal:       {"mw_original", SubjectProject, dimPower, sampleNum},
	vMWCurrent:        {"mw_current", SubjectProject, dimPower, sampleNum},
	vMWCut:            {"mw_cut", SubjectProject, dimPower, sampleNum},
	vSlipDays:         {"slip_days", SubjectProject, dimDays, sampleNum},
	vSlip:             {"slip", SubjectProject, dimDuration, sampleDur},
	vStaleDays:        {"stale_days", SubjectProject, dimDays, sampleNum},
}

// lookupVar returns the index of a built-in variable.
func lookupVar(name string) (int, bool) {
	for i := range varDefs {
		if varDefs[i].name == name {
			return i, true
		}
	}
	return 0, false
}

// bondItem is one element of the bonds list, with the feed's field names.
// Unknown values are nil.
type bondItem struct {
	ID         string     `expr:"id"`
	Kind       string     `expr:"kind"`
	Coupon     *float64   `expr:"coupon"`
	CouponType string     `expr:"coupon_type"`
	Maturity   *time.Time `expr:"maturity"`
	IssueDate  *time.Time `expr:"issue_date"`
	AmountUSD  *float64   `expr:"amount_usd"`
	IssuePrice *float64   `expr:"issue_price"`
	Secured    *bool      `expr:"secured"`
	Seniority  string     `expr:"seniority"`
	Price      *float64   `expr:"price"`
	Yield      *float64   `expr:"yield"`
	Status     string     `expr:"status"`
}

// projectItem is one element of the projects list.
type projectItem struct {
	ID             string     `expr:"id"`
	Name           string     `expr:"name"`
	Location       string     `expr:"location"`
	MWOriginal     *float64   `expr:"mw_original"`
	MWCurrent      *float64   `expr:"mw_current"`
	MWOperational  *float64   `expr:"mw_operational"`
	OriginalTarget *time.Time `expr:"original_target"`
	CurrentTarget  *time.Time `expr:"current_target"`
	Status         string     `expr:"status"`
	LastConfirmed  *time.Time `expr:"last_confirmed"`
	OfftakeIDs     []string   `expr:"offtake_ids"`
	SlipDays       *float64   `expr:"slip_days"`
}

// offtakeItem is one element of the offtakes list.
type offtakeItem struct {
	ID                 string     `expr:"id"`
	Counterparty       string     `expr:"counterparty"`
	CounterpartyTicker string     `expr:"counterparty_ticker"`
	Type               string     `expr:"type"`
	MW                 *float64   `expr:"mw"`
	TermYears          *float64   `expr:"term_years"`
	Start              *time.Time `expr:"start"`
	ContractValueUSD   *float64   `expr:"contract_value_usd"`
	AnnualRevenueUSD   *float64   `expr:"annual_revenue_usd"`
	BackstopProvider   string     `expr:"backstop_provider"`
	BackstopUSD        *float64   `expr:"backstop_usd"`
}

// elemField is a nullable field of a list element; each has a bit in the
// element-unknown masks.
type elemField struct {
	list  string // "bonds", "projects", "offtakes"
	typ   reflect.Type
	index int // struct field index
	name  string
	dim   dim
}

// elemLists are the list variables and their element types.
var elemLists = []struct {
	name string
	typ  reflect.Type
}{
	{"bonds", reflect.TypeFor[bondItem]()},
	{"projects", reflect.TypeFor[projectItem]()},
	{"offtakes", reflect.TypeFor[offtakeItem]()},
}

// elemDims gives the unit of element fields, by name.
var elemDims = map[string]dim{
	"coupon": dimRate, "yield": dimRate, "amount_usd": dimMoney, "issue_price": dimNone,
	"price": dimNone, "mw_original": dimPower, "mw_current": dimPower, "mw_operational": dimPower,
	"mw": dimPower, "term_years": dimYears, "contract_value_usd": dimMoney,
	"annual_revenue_usd": dimMoney, "backstop_usd": dimMoney, "slip_days": dimDays,
	"maturity": dimDate, "issue_date": dimDate, "original_target": dimDate,
	"current_target": dimDate, "last_confirmed": dimDate, "start": dimDate, "secured": dimBool,
}

// elemFields lists every nullable (pointer) element field; the position is
// the field's bit.
var elemFields = func() []elemField {
	var fs []elemField
	for _, l := range elemLists {
		for i := 0; i < l.typ.NumField(); i++ {
			f := l.typ.Field(i)
			if f.Type.Kind() != reflect.Pointer {
				continue
			}
			name := f.Tag.Get("expr")
			fs = append(fs, elemField{list: l.name, typ: l.typ, index: i, name: name, dim: elemDims[name]})
		}
	}
	return fs
}()

// elemFieldBit returns the bit of a nullable element field.
func elemFieldBit(t reflect.Type, name string) (int, bool) {
	for i, f := range elemFields {
		if f.typ == t && f.name == name {
			return i, true
		}
	}
	return 0, false
}

// elemFieldNames returns the expr names of the fields of a list element
// type, for suggestions.
func elemFieldNames(t reflect.Type) []string {
	var names []string
	for i := 0; i < t.NumField(); i++ {
		names = append(names, t.Field(i).Tag.Get("expr"))
	}
	return names
}

// listOfElem returns the list variable whose elements have type t.
func listOfElem(t reflect.Type) string {
	for _, l := range elemLists {
		if l.typ == t {
			return l.name
		}
	}
	return ""
}
