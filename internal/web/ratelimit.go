package web

import (
	"net"
	"net/http"
	"sync"
	"time"
)

// loginLimiter counts failed logins per client IP in fixed windows and
// refuses further attempts once a client reaches the limit.
type loginLimiter struct {
	max    int
	window time.Duration
	now    func() time.Time

	mu      sync.Mutex
	clients map[string]*failures
}

type failures struct {
	start time.Time
	n     int
}

// maxTrackedClients bounds the limiter's memory; beyond it, expired entries
// are swept on each failure.
const maxTrackedClients = 10000

func newLoginLimiter(max int, window time.Duration) *loginLimiter {
	return &loginLimiter{max: max, window: window, now: time.Now, clients: make(map[string]*failures)}
}

// blocked reports whether ip has used up its failures and, if so, how long
// until it may try again.
func (l *loginLimiter) blocked(ip string) (time.Duration, bool) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	f := l.clients[ip]
	if f == nil {
		return 0, false
	}
	end := f.start.Add(l.window)
	if !now.Before(end) {
		delete(l.clients, ip)
		return 0, false
	}
	if f.n < l.max {
		return 0, false
	}
	return end.Sub(now), true
}

// fail records one failed attempt from ip.
func (l *loginLimiter) fail(ip string) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	f := l.clients[ip]
	if f == nil || !now.Before(f.start.Add(l.window)) {
		if len(l.clients) >= maxTrackedClients {
			for k, v := range l.clients {
				if !now.Before(v.start.Add(l.window)) {
					delete(l.clients, k)
				}
			}
		}
		f = &failures{start: now}
		l.clients[ip] = f
	}
	f.n++
}

// succeed forgets ip's failures.
func (l *loginLimiter) succeed(ip string) {
	l.mu.Lock()
	delete(l.clients, ip)
	l.mu.Unlock()
}

// clientIP is the socket peer's address. Forwarding headers are ignored on
// purpose: they are trivially forged, and trusting them would let a client
// pick a fresh identity for every attempt.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
