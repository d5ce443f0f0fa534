//go:build !linux

package gitcmd

import "io"

func growPipe(io.Reader) {}
