package main

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/polar-terraform/terraform-provider-polar/internal/localpolar"
)

// tally counts requests by kind; 429s are counted apart from the method they refused.
type tally struct {
	post, get, patch, list, limited, other int
}

// reads is what a refresh spends of the rate budget: GETs by ID and list pages.
func (t tally) reads() int { return t.get + t.list }

// total is every request, refused ones included.
func (t tally) total() int { return t.post + t.get + t.patch + t.list + t.limited + t.other }

func (t tally) String() string {
	var parts []string
	for _, p := range []struct {
		name string
		n    int
	}{{"POST", t.post}, {"GET", t.get}, {"PATCH", t.patch}, {"list", t.list}, {"429", t.limited}, {"other", t.other}} {
		if p.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", p.n, p.name))
		}
	}
	if len(parts) == 0 {
		return "nothing"
	}
	return strings.Join(parts, " + ")
}

func isList(r localpolar.RecordedRequest) bool {
	return r.Method == http.MethodGet && r.Path == "/v1/meters/"
}

func onMeter(r localpolar.RecordedRequest) bool {
	return strings.HasPrefix(r.Path, "/v1/meters/") && r.Path != "/v1/meters/"
}

func countRequests(requests []localpolar.RecordedRequest) tally {
	var t tally
	for _, r := range requests {
		switch {
		case r.Status == http.StatusTooManyRequests:
			t.limited++
		case r.Method == http.MethodPost && r.Path == "/v1/meters/":
			t.post++
		case r.Method == http.MethodGet && onMeter(r):
			t.get++
		case r.Method == http.MethodPatch && onMeter(r):
			t.patch++
		case isList(r):
			t.list++
		default:
			t.other++
		}
	}
	return t
}

// shape is the request log in arrival order, runs of the same request written once with their count: e.g.
// "list p1 · GET · list p2 · list p3" or "GET×500". A list page is named by its page number, and by its filter when it
// asks for archived or live meters only.
func shape(requests []localpolar.RecordedRequest) string {
	var out []string
	last, run := "", 0
	flush := func() {
		if run == 1 {
			out = append(out, last)
		} else if run > 1 {
			out = append(out, fmt.Sprintf("%s×%d", last, run))
		}
	}
	for _, r := range requests {
		var tok string
		switch {
		case r.Status == http.StatusTooManyRequests:
			tok = "429"
		case isList(r):
			tok = "list p" + firstOr(r.Query.Get("page"), "1")
			switch r.Query.Get("is_archived") {
			case "false":
				tok += " live"
			case "true":
				tok += " archived"
			}
			if r.Query.Has("organization_id") {
				tok += " org"
			}
		default:
			tok = r.Method
			if !onMeter(r) && r.Path != "/v1/meters/" {
				tok += " " + r.Path
			}
		}
		if tok == last {
			run++
			continue
		}
		flush()
		last, run = tok, 1
	}
	flush()
	if len(out) == 0 {
		return "(none)"
	}
	return strings.Join(out, " · ")
}

func firstOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// expectation is what an operation may send: exactly post POSTs and patch PATCHes, at most readBound reads (GETs by
// ID and list pages), and nothing else. 429s are allowed only under a rate limit.
type expectation struct {
	post, patch, readBound int
	limited                bool
}

func (e expectation) String() string {
	var parts []string
	if e.post > 0 {
		parts = append(parts, fmt.Sprintf("%d POST", e.post))
	}
	if e.readBound > 0 || e.post == 0 {
		parts = append(parts, fmt.Sprintf("reads ≤ %d", e.readBound))
	}
	if e.patch > 0 {
		parts = append(parts, fmt.Sprintf("%d PATCH", e.patch))
	}
	return strings.Join(parts, " + ")
}

// excess says what got sent beyond the expectation; "" when nothing was.
func (e expectation) excess(got tally) string {
	var why []string
	if got.post != e.post {
		why = append(why, fmt.Sprintf("%d POST instead of %d", got.post, e.post))
	}
	if got.patch != e.patch {
		why = append(why, fmt.Sprintf("%d PATCH instead of %d", got.patch, e.patch))
	}
	if got.reads() > e.readBound {
		why = append(why, fmt.Sprintf("%d reads (%d GET + %d list) beyond the bound of %d", got.reads(), got.get, got.list, e.readBound))
	}
	if got.limited > 0 && !e.limited {
		why = append(why, fmt.Sprintf("%d 429 without a rate limit", got.limited))
	}
	if got.other > 0 {
		why = append(why, fmt.Sprintf("%d other request(s)", got.other))
	}
	return strings.Join(why, "; ")
}

// readBound is the bound on the requests a refresh of n managed meters may send when the organization holds live
// meters in all: min(N, ceil(T/100)) + A + 3, with A = 0 since the benchmark's managed meters are all live.
func readBound(n, live int) int {
	return min(n, (live+99)/100) + 3
}
