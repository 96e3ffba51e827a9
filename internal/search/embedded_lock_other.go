//go:build !unix

package search

import "os"

// lockDir does nothing where flock is not available: the index then relies
// on bleve's own lock and on a single process opening the directory.
func lockDir(string) (*os.File, error) { return nil, nil }

func unlockDir(*os.File) error { return nil }
