package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/sluicehq/sluice/internal/ingest"
	"github.com/sluicehq/sluice/internal/store"
	"github.com/sluicehq/sluice/internal/web"
)

// syncWorker is serve's web.Syncer: it syncs repositories one at a time
// in a background goroutine, so that two syncs never run at once (and
// never two of the same repository), and remembers each repository's
// last outcome in memory. What outlives the process is what the store
// records: the last completed sync and the checkpoint of an interrupted
// one.
type syncWorker struct {
	// run syncs one target.
	run func(ctx context.Context, t ingest.Target) (ingest.Result, error)
	// target returns the target of a repository name, or an error
	// wrapping store.ErrNotFound.
	target func(ctx context.Context, name string) (ingest.Target, error)
	log    *slog.Logger
	now    func() time.Time

	mu     sync.Mutex
	states map[string]*web.SyncState
	queue  []queued
	wake   chan struct{}
	done   chan struct{}
}

type queued struct {
	name string
	t    ingest.Target
}

func newSyncWorker(run func(context.Context, ingest.Target) (ingest.Result, error),
	target func(context.Context, string) (ingest.Target, error), log *slog.Logger) *syncWorker {
	return &syncWorker{run: run, target: target, log: log, now: time.Now,
		states: map[string]*web.SyncState{}, wake: make(chan struct{}, 1), done: make(chan struct{})}
}

// start runs the worker until ctx ends; wait returns after that.
func (w *syncWorker) start(ctx context.Context) {
	go func() {
		defer close(w.done)
		for {
			q, ok := w.next()
			if !ok {
				select {
				case <-ctx.Done():
					return
				case <-w.wake:
				}
				continue
			}
			if ctx.Err() != nil {
				return
			}
			w.syncOne(ctx, q.name, q.t, w.run)
		}
	}()
}

// wait blocks until the worker goroutine has ended (after its context).
func (w *syncWorker) wait() { <-w.done }

// next takes the first queued sync and marks it running.
func (w *syncWorker) next() (queued, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.queue) == 0 {
		return queued{}, false
	}
	q := w.queue[0]
	w.queue = w.queue[1:]
	return q, true
}

// state returns the state of name, creating it; the caller holds mu.
func (w *syncWorker) state(name string, t ingest.Target) *web.SyncState {
	st := w.states[name]
	if st == nil {
		st = &web.SyncState{}
		w.states[name] = st
	}
	st.Location, st.Source = t.Location, t.Source
	return st
}

// SyncNow queues a sync of the repository called name.
func (w *syncWorker) SyncNow(ctx context.Context, name string) error {
	t, err := w.target(ctx, name)
	if err != nil {
		return err
	}
	return w.enqueue(name, t)
}

// enqueue queues t under name unless it is queued or running already.
func (w *syncWorker) enqueue(name string, t ingest.Target) error {
	w.mu.Lock()
	st := w.state(name, t)
	switch {
	case st.Running:
		w.mu.Unlock()
		return fmt.Errorf("%s is %w", name, web.ErrAlreadySyncing)
	case st.Queued:
		w.mu.Unlock()
		return fmt.Errorf("%s is queued, so %w", name, web.ErrAlreadySyncing)
	}
	st.Queued, st.QueuedAt = true, w.now()
	w.queue = append(w.queue, queued{name, t})
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
	return nil
}

// syncOne runs the sync of t (known as name) with run now, in the
// caller's goroutine, and records its outcome. serve's first syncs use it,
// with progress on the terminal, before the worker starts.
func (w *syncWorker) syncOne(ctx context.Context, name string, t ingest.Target,
	run func(context.Context, ingest.Target) (ingest.Result, error)) (ingest.Result, error) {
	w.mu.Lock()
	st := w.state(name, t)
	st.Queued, st.Running, st.StartedAt = false, true, w.now()
	w.mu.Unlock()

	res, err := run(ctx, t)

	w.mu.Lock()
	defer w.mu.Unlock()
	st.Running = false
	st.Duration, st.Imported, st.UpToDate, st.Reimported = res.Duration, res.Imported, res.UpToDate, res.Reimported
	if err != nil {
		st.LastError, st.LastErrorAt = err.Error(), w.now()
		if errors.Is(err, context.Canceled) {
			st.LastError = "interrupted (the server stopped); the next sync continues where it stopped"
		}
		w.log.Error("sync failed", "repo", name, "err", err)
	} else {
		st.LastError, st.LastErrorAt, st.LastSuccess = "", time.Time{}, w.now()
	}
	// The first sync of an unnamed target learns the name the store
	// gives it: keep the state under that name.
	if res.Repo.Name != "" && res.Repo.Name != name {
		delete(w.states, name)
		w.states[res.Repo.Name] = st
	}
	return res, err
}

// SyncStates returns a copy of every known state.
func (w *syncWorker) SyncStates() map[string]web.SyncState {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make(map[string]web.SyncState, len(w.states))
	for k, v := range w.states {
		out[k] = *v
	}
	return out
}

// serveTargets resolves the repositories serve knows by name: those given
// with --repo and in sluice.yaml first, then any other in the database
// (added with sluice analyze), read from where the database says, with
// the credentials of its configured source.
type serveTargets struct {
	a      *app
	db     *store.DB
	mu     sync.Mutex
	byName map[string]ingest.Target
}

// add records a configured target; name is "" until its first sync.
func (s *serveTargets) add(name string, t ingest.Target) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.byName == nil {
		s.byName = map[string]ingest.Target{}
	}
	if name != "" {
		s.byName[name] = t
	}
}

// resyncEvery queues a sync of every configured repository each interval
// (server.sync_interval) until ctx ends; one still queued or syncing is
// left as it is.
func (s *serveTargets) resyncEvery(ctx context.Context, w *syncWorker, interval time.Duration) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		s.mu.Lock()
		names := slices.Sorted(maps.Keys(s.byName))
		s.mu.Unlock()
		for _, name := range names {
			t, err := s.lookup(ctx, name)
			if err == nil {
				err = w.enqueue(name, t)
			}
			if err != nil && !errors.Is(err, web.ErrAlreadySyncing) {
				w.log.Warn("scheduled sync not queued", "repo", name, "err", err)
			}
		}
	}
}

func (s *serveTargets) lookup(ctx context.Context, name string) (ingest.Target, error) {
	s.mu.Lock()
	t, ok := s.byName[name]
	s.mu.Unlock()
	if ok {
		return t, nil
	}
	r, err := s.db.RepositoryByName(ctx, name)
	if err != nil {
		return ingest.Target{}, err
	}
	t = ingest.Target{Location: r.Location(), Name: r.Name, Branch: r.Branch, Source: r.Source, NoExcludes: !r.Excludes}
	if err := s.a.applySource(&t); err != nil {
		return ingest.Target{}, err
	}
	return t, nil
}
