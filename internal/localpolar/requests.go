package localpolar

import (
	"bytes"
	"maps"
	"net/http"
	"net/url"
	"slices"
)

// RecordedRequest is a request the server received, whatever it answered.
type RecordedRequest struct {
	Method string
	Path   string
	Query  url.Values
	// Header as received, with Host and Transfer-Encoding, which net/http
	// moves out of the request's header, put back.
	Header http.Header
	// Body as received.
	Body []byte
	// Status answered; 0 while unanswered or when the connection was
	// dropped.
	Status int
}

func (rr RecordedRequest) clone() RecordedRequest {
	rr.Query = maps.Clone(rr.Query)
	rr.Header = rr.Header.Clone()
	rr.Body = bytes.Clone(rr.Body)
	return rr
}

// record logs a request as it arrives and returns its entry.
func (s *Server) record(r *http.Request, body []byte) *RecordedRequest {
	header := r.Header.Clone()
	header.Set("Host", r.Host)
	if len(r.TransferEncoding) > 0 {
		header["Transfer-Encoding"] = slices.Clone(r.TransferEncoding)
	}
	entry := &RecordedRequest{
		Method: r.Method,
		Path:   r.URL.Path,
		Query:  r.URL.Query(),
		Header: header,
		Body:   body,
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, entry)
	return entry
}

func (s *Server) setStatus(entry *RecordedRequest, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	entry.Status = status
}

// Requests returns every request received since the start or the last
// ResetRequests, in arrival order, rejected ones included.
func (s *Server) Requests() []RecordedRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	requests := make([]RecordedRequest, len(s.requests))
	for i, entry := range s.requests {
		requests[i] = entry.clone()
	}
	return requests
}

// CountRequests counts the requests received with method ("" is any) on path
// (an exact path, MeterPathPattern, or "" for any).
func (s *Server) CountRequests(method, path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	count := 0
	for _, entry := range s.requests {
		if (method == "" || entry.Method == method) && matchPath(path, entry.Path) {
			count++
		}
	}
	return count
}

// ResetRequests empties the request log.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = nil
}
