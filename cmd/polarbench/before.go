package main

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// buildAt builds the provider as it was at git revision rev into bin. The tree comes from `git archive`, extracted
// into src: no worktree, no checkout, nothing in the repository changes. The build is offline, like the floor's.
func buildAt(rev, src, bin string) error {
	archive := exec.Command("git", "archive", "--format=tar", rev)
	var out, errOut bytes.Buffer
	archive.Stdout, archive.Stderr = &out, &errOut
	if err := archive.Run(); err != nil {
		return fmt.Errorf("git archive %s: %w: %s", rev, err, strings.TrimSpace(errOut.String()))
	}
	if err := untar(&out, src); err != nil {
		return fmt.Errorf("extracting %s: %w", rev, err)
	}
	return goBuild(src, filepath.Join(bin, "terraform-provider-polar"))
}

// untar extracts the regular files and directories of a tar stream under dir.
func untar(r io.Reader, dir string) error {
	tr := tar.NewReader(r)
	for range 1_000_000 { // bounded: a repository tree has far fewer entries
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		target := filepath.Join(dir, filepath.FromSlash(h.Name))
		if !strings.HasPrefix(target, filepath.Clean(dir)+string(filepath.Separator)) {
			return fmt.Errorf("entry %q leaves the directory", h.Name)
		}
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, 0o700); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(target), 0o700); err != nil {
				return err
			}
			f, err := os.OpenFile(target, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600|os.FileMode(h.Mode)&0o700)
			if err != nil {
				return err
			}
			_, err = io.Copy(f, tr)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
		}
	}
	return errors.New("too many entries")
}
