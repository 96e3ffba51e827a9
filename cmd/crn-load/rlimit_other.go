//go:build !unix

package main

import "errors"

// raiseOpenFiles is only implemented on Unix.
func raiseOpenFiles() (uint64, error) {
	return 0, errors.New("cannot read or raise the open-file limit on this system")
}
