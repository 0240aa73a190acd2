package bolt

import "go.etcd.io/bbolt"

// Bucket names. Each is used only through these constants.
const (
	bucketMeta        = "meta"
	bucketTeams       = "teams"
	bucketWatchlists  = "watchlists"
	bucketRules       = "rules"
	bucketAlerts      = "alerts"
	bucketAlertIDs    = "alert_ids"
	bucketAlertSeq    = "alert_seq"
	bucketTransitions = "transitions"
	bucketSilences    = "silences"
	bucketOutbox      = "outbox"
	bucketOutboxDue   = "outbox_due"
	bucketSnapshots   = "snapshots"
	bucketAudit       = "audit"
)

// allBuckets lists every bucket of the current schema; Open checks that
// each exists after migrating.
func allBuckets() []string {
	return []string{
		bucketMeta, bucketTeams, bucketWatchlists, bucketRules,
		bucketAlerts, bucketAlertIDs, bucketAlertSeq, bucketTransitions,
		bucketSilences, bucketOutbox, bucketOutboxDue, bucketSnapshots,
		bucketAudit,
	}
}

// bucket returns the named top-level bucket. Open has checked that every
// bucket in allBuckets exists, and nothing deletes them, so the result is
// never nil for those names.
func bucket(tx *bbolt.Tx, name string) *bbolt.Bucket {
	return tx.Bucket([]byte(name))
}
