//go:build unix

package gitcmd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"
)

// lockMirror takes an exclusive advisory lock on dir+".lock", waiting (as
// long as ctx allows) while another process mirrors into dir. The lock goes
// away with the process, so a killed sync never leaves it held.
func lockMirror(ctx context.Context, dir string) (unlock func(), err error) {
	f, err := os.OpenFile(dir+".lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, configError(ErrOther, fmt.Sprintf("cannot create the mirror lock %s.lock: %v", dir, err), err)
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() {
				syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
				f.Close()
			}, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, configError(ErrOther, fmt.Sprintf("cannot lock the mirror %s: %v", dir, err), err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, &Error{Kind: ErrTimeout, Msg: fmt.Sprintf("another sluice process is still syncing the mirror %s; wait for it to finish", dir), Err: ctx.Err()}
		case <-time.After(100 * time.Millisecond):
		}
	}
}
