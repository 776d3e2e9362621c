package localpolar

import (
	"net/http"
	"strconv"
)

// response is an answer prepared in full before it is sent, so that faults
// can replace it and latency can delay it.
type response struct {
	status int
	header http.Header
	body   []byte
}

func jsonResponse(status int, v any) response {
	return response{
		status: status,
		header: http.Header{"Content-Type": {"application/json"}},
		body:   marshal(v),
	}
}

func textResponse(status int, text string) response {
	return response{
		status: status,
		header: http.Header{"Content-Type": {"text/plain; charset=utf-8"}},
		body:   []byte(text),
	}
}

func emptyResponse(status int) response {
	return response{status: status, header: http.Header{}}
}

func (resp response) write(w http.ResponseWriter) {
	for key, values := range resp.header {
		w.Header()[key] = values
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(resp.body)))
	w.WriteHeader(resp.status)
	_, _ = w.Write(resp.body) // the client may be gone: nothing to do then
}

// detailResponse is Starlette's own error shape, used before a request
// reaches Polar's code: unknown paths and methods, unknown API versions.
func detailResponse(status int) response {
	return jsonResponse(status, map[string]string{"detail": http.StatusText(status)})
}

// polarError is the shape of the errors Polar raises itself.
type polarError struct {
	Error  string `json:"error"`
	Detail any    `json:"detail"`
}

func notFound() response {
	return jsonResponse(http.StatusNotFound, polarError{Error: "ResourceNotFound", Detail: "Not found"})
}

// requestValidationError answers a request that does not match the schema.
func requestValidationError(errs []fieldError) response {
	return jsonResponse(http.StatusUnprocessableEntity, polarError{Error: "RequestValidationError", Detail: errs})
}

// polarRequestValidationError answers a request that breaks a business rule.
func polarRequestValidationError(errs ...fieldError) response {
	return jsonResponse(http.StatusUnprocessableEntity, polarError{Error: "PolarRequestValidationError", Detail: errs})
}

// internalServerError is what Starlette answers when Polar's code fails.
func internalServerError() response {
	return textResponse(http.StatusInternalServerError, "Internal Server Error")
}
