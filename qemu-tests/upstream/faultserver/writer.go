package faultserver

import (
	"net/http"
	"regexp"
	"time"
)

// faultWriter wraps w so that the body is cut or throttled as f says; w itself when f asks
// for neither.
func faultWriter(w http.ResponseWriter, f Fault) http.ResponseWriter {
	if f.CutAfter <= 0 && f.BytesPerSecond <= 0 {
		return w
	}
	return &shapedWriter{ResponseWriter: w, cutAfter: f.CutAfter, rate: f.BytesPerSecond}
}

// shapedWriter passes the body through, sleeping to hold a rate and aborting the connection
// once cutAfter bytes are out.
type shapedWriter struct {
	http.ResponseWriter
	cutAfter int64
	rate     int64
	written  int64
}

// chunkTime is how much body a throttled writer sends at once: small enough that the rate
// looks steady to a progress bar, large enough not to spin.
const chunkTime = 50 * time.Millisecond

func (w *shapedWriter) Write(p []byte) (int, error) {
	total := 0
	for len(p) > 0 {
		chunk := w.nextChunk(len(p))
		n, err := w.ResponseWriter.Write(p[:chunk])
		total += n
		w.written += int64(n)
		if err != nil {
			return total, err
		}

		p = p[chunk:]
		w.afterChunk(n)
	}
	return total, nil
}

// nextChunk tells how many of the want bytes may go out now.
func (w *shapedWriter) nextChunk(want int) int {
	chunk := int64(want)
	if w.rate > 0 {
		chunk = min(chunk, max(1, w.rate*int64(chunkTime)/int64(time.Second)))
	}

	if w.cutAfter > 0 {
		chunk = min(chunk, w.cutAfter-w.written)
	}
	return int(chunk)
}

// afterChunk holds the rate, and aborts the connection when the cut point is reached.
func (w *shapedWriter) afterChunk(n int) {
	if w.cutAfter > 0 && w.written >= w.cutAfter {
		if fl, ok := w.ResponseWriter.(http.Flusher); ok {
			fl.Flush()
		}
		// The server recovers this value and closes the connection without finishing the
		// body, which is what a dropped download looks like to the client.
		panic(http.ErrAbortHandler)
	}

	if w.rate > 0 {
		if fl, ok := w.ResponseWriter.(http.Flusher); ok {
			fl.Flush()
		}
		time.Sleep(time.Duration(int64(n) * int64(time.Second) / w.rate))
	}
}

// digestPattern matches the hexadecimal digests that checksum files carry: MD5, SHA-1,
// SHA-256 and SHA-512.
var digestPattern = regexp.MustCompile(`\b([0-9a-fA-F]{32}|[0-9a-fA-F]{40}|[0-9a-fA-F]{64}|` +
	`[0-9a-fA-F]{128})\b`)

// spoilDigests returns data with each hexadecimal digest changed in every digit, so that no
// digest in it matches its file any more while the file keeps its format.
func spoilDigests(data []byte) []byte {
	return digestPattern.ReplaceAllFunc(data, func(d []byte) []byte {
		out := make([]byte, len(d))
		for i, c := range d {
			out[i] = nextHexDigit(c)
		}
		return out
	})
}

func nextHexDigit(c byte) byte {
	const digits = "0123456789abcdef"

	switch {
	case c >= '0' && c <= '9':
		return digits[(c-'0'+1)%16]
	case c >= 'a' && c <= 'f':
		return digits[(c-'a'+11)%16]
	default:
		return digits[(c-'A'+11)%16]
	}
}
