package store

import (
	"container/list"
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"unsafe"
)

// readCache keeps answers of reads (Aggregate, People, Teams,
// CommitCounts) for the data generation they were computed at. A new
// generation empties it; within one, the least recently used answers go
// first once it holds more than max bytes. Concurrent misses of one key wait
// for a single computation.
type readCache struct {
	mu       sync.Mutex
	gen      int64
	max      int64
	bytes    int64
	lru      *list.List // of *cacheEntry, most recently used first
	entries  map[string]*list.Element
	inflight map[string]*flight
	stats    CacheStats
}

type cacheEntry struct {
	key  string
	val  any
	size int64
}

// flight is one computation other callers of the same key wait for.
type flight struct {
	done chan struct{}
	val  any
	err  error
}

// CacheStats counts the read cache's work since EnableCache.
type CacheStats struct {
	Hits          int64
	Misses        int64 // answers computed
	Shared        int64 // misses that waited for another caller's computation
	Entries       int
	Bytes         int64
	Invalidations int64 // times a new data generation emptied it
}

// EnableCache makes Aggregate, People, Teams and CommitCounts keep their
// answers, up to maxBytes, for as long as the data generation (Generation)
// stays the same. Long-running readers (the web server) use it; each such
// call then costs one read of the generation when its answer is cached.
// Answers are shared: callers must not modify the elements of the slices
// they get (the slices themselves are their own).
func (db *DB) EnableCache(maxBytes int64) {
	db.cache = &readCache{max: maxBytes, lru: list.New(), entries: map[string]*list.Element{}, inflight: map[string]*flight{}}
}

// CacheStats returns the read cache's counters; ok is false when there is
// no cache.
func (db *DB) CacheStats() (s CacheStats, ok bool) {
	c := db.cache
	if c == nil {
		return CacheStats{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	s = c.stats
	s.Entries, s.Bytes = len(c.entries), c.bytes
	return s, true
}

// cached returns key's answer from the cache or computes it. compute gets
// a context that the caller's cancellation does not end (others may be
// waiting for it) and returns the answer with its size in bytes. Without a
// cache it just computes.
//
// The generation is read before computing: an answer computed meanwhile
// from newer data is kept under the older generation, which no later
// reader asks for.
func cached[T any](ctx context.Context, db *DB, key string, compute func(context.Context) (T, int64, error)) (T, error) {
	c := db.cache
	if c == nil {
		v, _, err := compute(ctx)
		return v, err
	}
	var zero T
	gen, err := db.Generation(ctx)
	if err != nil {
		return zero, err
	}
	c.mu.Lock()
	if gen < c.gen {
		// Read before a change another caller has already seen: answer
		// without the cache rather than empty it for an older generation.
		c.stats.Misses++
		c.mu.Unlock()
		v, _, err := compute(ctx)
		return v, err
	}
	if gen > c.gen {
		if c.gen != 0 {
			c.stats.Invalidations++
		}
		c.gen = gen
		c.lru.Init()
		clear(c.entries)
		clear(c.inflight)
		c.bytes = 0
	}
	if el, ok := c.entries[key]; ok {
		c.lru.MoveToFront(el)
		c.stats.Hits++
		v := el.Value.(*cacheEntry).val.(T)
		c.mu.Unlock()
		return v, nil
	}
	if f, ok := c.inflight[key]; ok {
		c.stats.Shared++
		c.mu.Unlock()
		select {
		case <-f.done:
		case <-ctx.Done():
			return zero, ctx.Err()
		}
		if f.err != nil {
			return zero, f.err
		}
		return f.val.(T), nil
	}
	c.stats.Misses++
	f := &flight{done: make(chan struct{})}
	c.inflight[key] = f
	c.mu.Unlock()

	v, size, err := compute(context.WithoutCancel(ctx))
	f.val, f.err = v, err
	close(f.done)

	c.mu.Lock()
	if c.inflight[key] == f {
		delete(c.inflight, key)
	}
	if err == nil && c.gen == gen {
		e := &cacheEntry{key: key, val: v, size: size + int64(len(key)) + 64}
		if e.size <= c.max {
			if el, ok := c.entries[key]; ok {
				c.bytes -= el.Value.(*cacheEntry).size
				c.lru.Remove(el)
			}
			c.entries[key] = c.lru.PushFront(e)
			c.bytes += e.size
			for c.bytes > c.max {
				last := c.lru.Back()
				old := last.Value.(*cacheEntry)
				c.lru.Remove(last)
				delete(c.entries, old.key)
				c.bytes -= old.size
			}
		}
	}
	c.mu.Unlock()
	return v, err
}

// Cached is the read cache for callers outside the store: key's answer,
// computed by compute (which returns it with its size in bytes) when the
// cache does not hold it for the current data generation. compute must
// read only what the generation tracks (commits, identities, people,
// teams, memberships, repositories). Keys share one space: prefix them
// with the caller's package. Answers are shared between callers, who must
// not modify them. Without EnableCache it just computes.
func Cached[T any](ctx context.Context, db *DB, key string, compute func(context.Context) (T, int64, error)) (T, error) {
	return cached(ctx, db, key, compute)
}

// aggregateSize is an answer's share of memory, strings included.
func aggregateSize(rows []AggregateRow) int64 {
	n := int64(0)
	for i := range rows {
		n += int64(unsafe.Sizeof(rows[i])) + int64(len(rows[i].Key)+len(rows[i].Name))
	}
	return n
}

// key is the query's cache key.
func (q AggregateQuery) key() string {
	var b strings.Builder
	fmt.Fprintf(&b, "aggregate|%s|%d|%d|%d|%d|%s|%t|%t|", q.By, q.Since.UnixNano(), q.Until.UnixNano(), q.TeamID, q.RepoID,
		q.Interval, q.IncludeOutliers, q.IncludeBots)
	if q.Since.IsZero() {
		b.WriteString("-")
	}
	if q.Until.IsZero() {
		b.WriteString("-")
	}
	for _, id := range q.PersonIDs {
		b.WriteString(strconv.FormatInt(id, 10))
		b.WriteByte(',')
	}
	return b.String()
}
