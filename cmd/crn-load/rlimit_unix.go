//go:build unix

package main

import (
	"os"
	"strconv"
	"strings"
	"syscall"
)

// raiseOpenFiles lifts this process's open-file limit as far as it may: to
// the kernel's ceiling (fs.nr_open) when allowed to raise the hard limit
// (root), else the soft limit to the hard one. It returns the soft limit
// in force afterwards.
func raiseOpenFiles() (uint64, error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, err
	}
	if b, err := os.ReadFile("/proc/sys/fs/nr_open"); err == nil {
		if ceiling, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64); err == nil && ceiling > lim.Max {
			up := syscall.Rlimit{Cur: ceiling, Max: ceiling}
			if syscall.Setrlimit(syscall.RLIMIT_NOFILE, &up) == nil {
				return ceiling, nil
			}
		}
	}
	if lim.Cur < lim.Max {
		up := syscall.Rlimit{Cur: lim.Max, Max: lim.Max}
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &up); err != nil {
			return lim.Cur, err
		}
		return lim.Max, nil
	}
	return lim.Cur, nil
}
