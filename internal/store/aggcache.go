package store

import (
	"container/list"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unsafe"
)

// aggCache keeps Aggregate's answers for the data generation they were
// computed at. A new generation empties it; within one, the least recently
// used answers go first once it holds more than max bytes. Concurrent
// misses of one query wait for a single computation.
type aggCache struct {
	mu       sync.Mutex
	gen      int64
	max      int64
	bytes    int64
	lru      *list.List // of *aggEntry, most recently used first
	entries  map[string]*list.Element
	inflight map[string]*aggFlight
	stats    CacheStats
}

type aggEntry struct {
	key  string
	rows []AggregateRow
	size int64
}

// aggFlight is one computation other callers of the same query wait for.
type aggFlight struct {
	done chan struct{}
	rows []AggregateRow
	err  error
}

// CacheStats counts the aggregate cache's work since CacheAggregates.
type CacheStats struct {
	Hits          int64
	Misses        int64 // answers computed
	Shared        int64 // misses that waited for another caller's computation
	Entries       int
	Bytes         int64
	Invalidations int64 // times a new data generation emptied it
}

// rowSize is an AggregateRow's share of memory, strings included.
func rowSize(r *AggregateRow) int64 {
	return int64(unsafe.Sizeof(*r)) + int64(len(r.Key)+len(r.Name))
}

// CacheAggregates makes Aggregate keep its answers, up to maxBytes, for
// as long as the data generation (Generation) stays the same. Long-running
// readers (the web server) use it; every call of Aggregate then costs one
// read of the generation when its answer is cached.
func (db *DB) CacheAggregates(maxBytes int64) {
	db.agg = &aggCache{max: maxBytes, lru: list.New(), entries: map[string]*list.Element{}, inflight: map[string]*aggFlight{}}
}

// AggregateCacheStats returns the aggregate cache's counters; ok is false
// when there is no cache.
func (db *DB) AggregateCacheStats() (s CacheStats, ok bool) {
	c := db.agg
	if c == nil {
		return CacheStats{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	s = c.stats
	s.Entries, s.Bytes = len(c.entries), c.bytes
	return s, true
}

// key is the query's cache key.
func (q AggregateQuery) key() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s|%d|%d|%d|%d|%s|%t|%t|", q.By, q.Since.UnixNano(), q.Until.UnixNano(), q.TeamID, q.RepoID,
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

// cachedAggregate answers q from the cache or computes it with compute.
// The generation is read first: an answer computed meanwhile from newer
// data is kept under the older generation, which no later reader asks for.
func (db *DB) cachedAggregate(ctx context.Context, q AggregateQuery, compute func() ([]AggregateRow, error)) ([]AggregateRow, error) {
	c := db.agg
	gen, err := db.Generation(ctx)
	if err != nil {
		return nil, err
	}
	key := q.key()
	c.mu.Lock()
	if gen != c.gen {
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
		rows := el.Value.(*aggEntry).rows
		c.mu.Unlock()
		return slices.Clone(rows), nil
	}
	if f, ok := c.inflight[key]; ok {
		c.stats.Shared++
		c.mu.Unlock()
		select {
		case <-f.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		return slices.Clone(f.rows), f.err
	}
	c.stats.Misses++
	f := &aggFlight{done: make(chan struct{})}
	c.inflight[key] = f
	c.mu.Unlock()

	// The computation is not cut short by this caller's context: others
	// may be waiting for it.
	f.rows, f.err = compute()
	close(f.done)

	c.mu.Lock()
	if c.inflight[key] == f {
		delete(c.inflight, key)
	}
	if f.err == nil && c.gen == gen {
		e := &aggEntry{key: key, rows: f.rows, size: int64(len(key)) + 64}
		for i := range f.rows {
			e.size += rowSize(&f.rows[i])
		}
		if e.size <= c.max {
			if el, ok := c.entries[key]; ok {
				c.bytes -= el.Value.(*aggEntry).size
				c.lru.Remove(el)
			}
			c.entries[key] = c.lru.PushFront(e)
			c.bytes += e.size
			for c.bytes > c.max {
				last := c.lru.Back()
				old := last.Value.(*aggEntry)
				c.lru.Remove(last)
				delete(c.entries, old.key)
				c.bytes -= old.size
			}
		}
	}
	c.mu.Unlock()
	return slices.Clone(f.rows), f.err
}
