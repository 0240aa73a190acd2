package bot

import (
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the bot's Prometheus collectors. They are registered on
// Options.Registerer when it is set; otherwise they count unregistered.
type metrics struct {
	evaluations   prometheus.Counter
	ruleErrors    *prometheus.CounterVec
	transitions   *prometheus.CounterVec
	sent          *prometheus.CounterVec
	failed        *prometheus.CounterVec
	cycleDuration prometheus.Histogram
}

func newMetrics(reg prometheus.Registerer, age func() float64) (*metrics, error) {
	m := &metrics{
		evaluations: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "spreadwatch_rule_evaluations_total",
			Help: "Rule evaluations, one per rule per cycle.",
		}),
		ruleErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "spreadwatch_rule_errors_total",
			Help: "Rule evaluations that failed to compile or errored for at least one subject, by rule.",
		}, []string{"rule"}),
		transitions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "spreadwatch_alert_transitions_total",
			Help: "Alert state transitions, by the state entered.",
		}, []string{"to"}),
		sent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "spreadwatch_notifications_sent_total",
			Help: "Notifications delivered, by platform.",
		}, []string{"platform"}),
		failed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "spreadwatch_notifications_failed_total",
			Help: "Notification delivery attempts that failed, by platform.",
		}, []string{"platform"}),
		cycleDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "spreadwatch_cycle_duration_seconds",
			Help:    "Duration of one evaluation cycle, storage commit included.",
			Buckets: []float64{.001, .005, .01, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}),
	}
	if reg == nil {
		return m, nil
	}
	age0 := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "spreadwatch_snapshot_age_seconds",
		Help: "Age of the current snapshot's as_of time.",
	}, age)
	for _, c := range []prometheus.Collector{m.evaluations, m.ruleErrors, m.transitions, m.sent, m.failed, m.cycleDuration, age0} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}
