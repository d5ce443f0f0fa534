package web

import "time"

// Where a repository's syncing stands, in one vocabulary: /repos,
// /repos/{name}, /sources and their API (GET /api/v1/repos,
// /api/v1/repos/{name} and /api/v1/sources) all take their state and its
// words from newSyncState, so a repository reads the same on every page.
//
// The store alone knows whether a sync ever completed (synced or
// never_synced) and whether one stopped midway (its checkpoint; then the
// state stays synced or never_synced and the words say it was
// interrupted). Only the Syncer knows that a sync runs, waits or failed,
// so running, queued and failed appear when the server has one (sluice
// serve always does). A sync run by another process, such as sluice
// analyze beside sluice serve, reads as interrupted until it completes:
// its checkpoint is all the server sees of it.

// The sync states, from the most pressing: a running sync hides that one
// is queued, a queued one that the last failed, and so on.
const (
	stateRunning     = "running"      // the Syncer is syncing it now
	stateQueued      = "queued"       // the Syncer will sync it after those before it
	stateFailed      = "failed"       // the Syncer's last sync of it failed
	stateSynced      = "synced"       // a sync has completed
	stateNeverSynced = "never_synced" // no sync has completed
)

// syncState is a repository's sync state and its words. repoSyncView
// (/api/v1/sources) and syncStatus (the "sync" of /api/v1/repos) embed it,
// so both have the same fields with the same values.
type syncState struct {
	// State is one of running, queued, failed, synced, never_synced.
	State string `json:"state"`
	// StateText says the state in words, as every page shows it.
	StateText string `json:"state_text"`
	// Interrupted is true when a sync stopped midway and none runs now:
	// the next one goes on from where it stopped.
	Interrupted bool `json:"interrupted"`
}

// newSyncState says where a repository's syncing stands. lastSynced is
// when the last completed sync ended as the store records it (zero: none),
// pending whether the store holds the checkpoint of a sync that has not
// completed, and live what the Syncer knows of the repository (nil:
// nothing, or no Syncer).
func newSyncState(lastSynced time.Time, pending bool, live *SyncState) syncState {
	var st SyncState
	if live != nil {
		st = *live
	}
	// A running sync saves checkpoints as it goes; only one that no sync
	// continues now is interrupted.
	s := syncState{Interrupted: pending && !st.Running}
	switch {
	case st.Running:
		s.State, s.StateText = stateRunning, "syncing"
		if !st.StartedAt.IsZero() {
			s.StateText += " since " + fmtTime(st.StartedAt)
		}
	case st.Queued:
		s.State, s.StateText = stateQueued, "queued; it starts when the syncs before it finish"
	case st.LastError != "":
		s.State, s.StateText = stateFailed, "the last sync failed"
	case !lastSynced.IsZero() || !st.LastSuccess.IsZero():
		s.State, s.StateText = stateSynced, "synced"
		if s.Interrupted {
			s.StateText = "synced; a later sync was interrupted and the next one continues it"
		}
	default:
		s.State, s.StateText = stateNeverSynced, "never synced completely"
		if s.Interrupted {
			s.StateText = "the first sync was interrupted; the next one continues it"
		}
	}
	return s
}

// liveSyncStates returns what the Syncer knows of each repository, by
// name; nil without a Syncer.
func (h *handler) liveSyncStates() map[string]SyncState {
	if h.syncer == nil {
		return nil
	}
	return h.syncer.SyncStates()
}

// liveState is name's entry of states, nil if it has none.
func liveState(states map[string]SyncState, name string) *SyncState {
	if st, ok := states[name]; ok {
		return &st
	}
	return nil
}

func fmtTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }
