package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/ingest"
	"github.com/sluicehq/sluice/internal/store"
	"github.com/sluicehq/sluice/internal/web"
)

// TestSyncWorker: syncs run one at a time in the background; a second
// request for a repository that is queued or running is refused as
// already syncing; outcomes (success, imported commits, the error in
// words) are recorded per repository.
func TestSyncWorker(t *testing.T) {
	release := map[string]chan error{"a": make(chan error), "b": make(chan error)}
	var mu sync.Mutex
	running, most := 0, 0
	started := make(chan string, 4)
	run := func(ctx context.Context, tg ingest.Target) (ingest.Result, error) {
		mu.Lock()
		running++
		most = max(most, running)
		mu.Unlock()
		started <- tg.Name
		err := <-release[tg.Name]
		mu.Lock()
		running--
		mu.Unlock()
		if err != nil {
			return ingest.Result{Duration: time.Second}, err
		}
		return ingest.Result{Repo: store.Repository{Name: tg.Name}, Imported: 3, Duration: 2 * time.Second}, nil
	}
	target := func(_ context.Context, name string) (ingest.Target, error) {
		if _, ok := release[name]; !ok {
			return ingest.Target{}, fmt.Errorf("repository %q: %w", name, store.ErrNotFound)
		}
		return ingest.Target{Name: name, Location: "https://git.example.com/" + name + ".git"}, nil
	}
	w := newSyncWorker(run, target, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx, cancel := context.WithCancel(context.Background())
	w.start(ctx)
	defer func() {
		cancel()
		w.wait()
	}()

	if err := w.SyncNow(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown repository: %v, want ErrNotFound", err)
	}
	if err := w.SyncNow(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if got := <-started; got != "a" {
		t.Fatalf("started %s, want a", got)
	}
	if err := w.SyncNow(ctx, "a"); !errors.Is(err, web.ErrAlreadySyncing) {
		t.Errorf("a while running: %v, want already syncing", err)
	}
	if err := w.SyncNow(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	if err := w.SyncNow(ctx, "b"); !errors.Is(err, web.ErrAlreadySyncing) {
		t.Errorf("b while queued: %v, want already syncing", err)
	}
	st := w.SyncStates()
	if !st["a"].Running || st["a"].Queued || !st["b"].Queued || st["b"].Running {
		t.Errorf("states while a runs: a %+v, b %+v", st["a"], st["b"])
	}
	select {
	case got := <-started:
		t.Fatalf("%s started while a runs", got)
	case <-time.After(50 * time.Millisecond):
	}
	release["a"] <- nil
	if got := <-started; got != "b" {
		t.Fatalf("started %s, want b", got)
	}
	release["b"] <- errors.New("git fetch: authentication failed for https://git.example.com/b.git")
	deadline := time.Now().Add(5 * time.Second)
	for w.SyncStates()["b"].Running && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	st = w.SyncStates()
	a, b := st["a"], st["b"]
	if a.Running || a.LastSuccess.IsZero() || a.Imported != 3 || a.Duration != 2*time.Second || a.LastError != "" || a.Location != "https://git.example.com/a.git" {
		t.Errorf("a after success: %+v", a)
	}
	if b.Running || !b.LastSuccess.IsZero() || b.LastError != "git fetch: authentication failed for https://git.example.com/b.git" || b.LastErrorAt.IsZero() {
		t.Errorf("b after failure: %+v", b)
	}
	if most != 1 {
		t.Errorf("%d syncs ran at once, want 1", most)
	}
	// Once done, a repository can be synced again; success clears the error.
	if err := w.SyncNow(ctx, "b"); err != nil {
		t.Fatalf("b again: %v", err)
	}
	<-started
	release["b"] <- nil
	for w.SyncStates()["b"].LastError != "" && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if b := w.SyncStates()["b"]; b.LastError != "" || b.LastSuccess.IsZero() {
		t.Errorf("b after a later success: %+v", b)
	}
}

// TestSyncWorkerLearnsName: a target synced under its derived name is
// kept under the name the store gave it.
func TestSyncWorkerLearnsName(t *testing.T) {
	w := newSyncWorker(nil, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	run := func(context.Context, ingest.Target) (ingest.Result, error) {
		return ingest.Result{Repo: store.Repository{Name: "service"}}, nil
	}
	if _, err := w.syncOne(context.Background(), "sub", ingest.Target{Location: "/src/service/sub"}, run); err != nil {
		t.Fatal(err)
	}
	st := w.SyncStates()
	if _, ok := st["sub"]; ok || st["service"].LastSuccess.IsZero() {
		t.Errorf("states %+v, want only service", st)
	}
}

// TestResyncEvery: server.sync_interval queues every configured
// repository again, each interval.
func TestResyncEvery(t *testing.T) {
	runs := make(chan string, 16)
	w := newSyncWorker(func(_ context.Context, tg ingest.Target) (ingest.Result, error) {
		runs <- tg.Name
		return ingest.Result{}, nil
	}, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	known := &serveTargets{}
	known.add("svc", ingest.Target{Name: "svc", Location: "/src/svc"})
	ctx, cancel := context.WithCancel(context.Background())
	w.start(ctx)
	go known.resyncEvery(ctx, w, 10*time.Millisecond)
	for i := range 2 {
		select {
		case got := <-runs:
			if got != "svc" {
				t.Errorf("synced %q, want svc", got)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("scheduled sync %d did not run", i+1)
		}
	}
	cancel()
	w.wait()
}
