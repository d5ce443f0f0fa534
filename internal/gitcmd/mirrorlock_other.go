//go:build !unix

package gitcmd

import "context"

// lockMirror is a no-op where flock is unavailable: callers must then not
// mirror into the same dir concurrently.
func lockMirror(context.Context, string) (func(), error) { return func() {}, nil }
