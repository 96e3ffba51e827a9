package search

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// On disk, the embedded index is a directory of generations:
//
//	<dir>/LOCK      held while a process has the index open
//	<dir>/CURRENT   the name of the live generation, e.g. "gen-4"
//	<dir>/gen-4/    the live bleve index
//	<dir>/gen-5/    a rebuild in progress (or left by a crash)
//
// CURRENT is only ever replaced by renaming a complete temporary file over
// it, so after a crash it names either the old generation or the new one,
// never something half-written. Whatever it does not name is removed the
// next time the index opens.
const (
	currentFile   = "CURRENT"
	currentTemp   = "CURRENT.tmp-"
	lockFile      = "LOCK"
	genPrefix     = "gen-"
	genFileFormat = genPrefix + "%d"
)

func genDir(dir string, n int) string {
	return filepath.Join(dir, fmt.Sprintf(genFileFormat, n))
}

// parseGen returns n for a name "gen-<n>".
func parseGen(name string) (int, bool) {
	digits, ok := strings.CutPrefix(name, genPrefix)
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(digits)
	if err != nil || n <= 0 || strconv.Itoa(n) != digits {
		return 0, false
	}
	return n, true
}

// readCurrent returns the live generation named by CURRENT; ok is false
// when there is no CURRENT file.
func readCurrent(dir string) (n int, ok bool, err error) {
	raw, err := os.ReadFile(filepath.Join(dir, currentFile))
	if errors.Is(err, fs.ErrNotExist) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("search: read %s: %w", currentFile, err)
	}
	n, ok = parseGen(strings.TrimSpace(string(raw)))
	if !ok {
		return 0, false, fmt.Errorf("search: %s in %s names no generation: %q", currentFile, dir, raw)
	}
	return n, true, nil
}

// writeCurrent makes generation n the live one, atomically.
func writeCurrent(dir string, n int) error {
	tmp, err := os.CreateTemp(dir, currentTemp+"*")
	if err != nil {
		return fmt.Errorf("search: write %s: %w", currentFile, err)
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	_, err = fmt.Fprintf(tmp, genFileFormat+"\n", n)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), filepath.Join(dir, currentFile))
	}
	if err == nil {
		err = syncDir(dir)
	}
	if err != nil {
		return fmt.Errorf("search: write %s: %w", currentFile, err)
	}
	return nil
}

// syncDir makes a rename inside dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// generations lists the generation numbers present in dir.
func generations(dir string) ([]int, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("search: list generations: %w", err)
	}
	var gens []int
	for _, e := range entries {
		if n, ok := parseGen(e.Name()); ok && e.IsDir() {
			gens = append(gens, n)
		}
	}
	return gens, nil
}

// removeStrays deletes every generation but keep, and temporary files left
// by an interrupted writeCurrent.
func removeStrays(dir string, keep int) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("search: remove stray generations: %w", err)
	}
	var errs []error
	for _, e := range entries {
		name := e.Name()
		n, isGen := parseGen(name)
		if (isGen && n != keep) || strings.HasPrefix(name, currentTemp) {
			errs = append(errs, os.RemoveAll(filepath.Join(dir, name)))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("search: remove stray generations: %w", err)
	}
	return nil
}
