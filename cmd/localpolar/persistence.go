package main

import (
	"bytes"
	"encoding/json"
	"log"
	"net/http"
	"os"
	"path/filepath"
	"sync"

	"github.com/polar-terraform/terraform-provider-polar/internal/localpolar"
)

// persistence serves the server and saves its meters to a file after every
// request that may have changed them.
type persistence struct {
	polar *localpolar.Server
	path  string

	mu    sync.Mutex
	saved []byte // the meters last written, to skip writes that change nothing
}

func (p *persistence) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.polar.ServeHTTP(w, r)
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return
	}
	if err := p.save(); err != nil {
		log.Printf("localpolar: cannot save the meters to %s: %v", p.path, err)
	}
}

// save writes the meters, indented for people to read, when they changed.
func (p *persistence) save() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	meters := p.polar.MetersJSON()
	if bytes.Equal(meters, p.saved) {
		return nil
	}
	var out bytes.Buffer
	if err := json.Indent(&out, meters, "", "  "); err != nil {
		return err
	}
	out.WriteByte('\n')
	if err := replaceFile(p.path, out.Bytes()); err != nil {
		return err
	}
	p.saved = meters
	return nil
}

// replaceFile writes data to path through a renamed temporary file, so that
// a crash never leaves half a file.
func replaceFile(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	_, err = tmp.Write(data)
	if closeErr := tmp.Close(); err == nil {
		err = closeErr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		_ = os.Remove(tmp.Name()) // best effort: the write already failed
	}
	return err
}
