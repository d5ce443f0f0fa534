package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"
)

// assets are the embedded static files, read once at start. Pages link
// to them as /static/NAME?v=HASH (assetURL); a request carrying the
// current hash is cached for a year, as the URL changes with the content.
// Files under vendor/ carry their version in the path and are cached for
// a year too. Anything else is cached for an hour.
type assets struct {
	files map[string]*asset
}

type asset struct {
	name  string
	ctype string
	data  []byte
	hash  string // first 12 hex digits of the SHA-256

	gzOnce sync.Once
	gz     []byte // gzip of data, for compressible types; made on first use
}

func loadAssets(fsys fs.FS) (*assets, error) {
	a := &assets{files: map[string]*asset{}}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		ctype := mime.TypeByExtension(path.Ext(p))
		if ctype == "" {
			ctype = http.DetectContentType(b)
		}
		if strings.HasPrefix(path.Base(p), "LICENSE") || path.Base(p) == "NOTICE" {
			ctype = "text/plain; charset=utf-8"
		}
		a.files[p] = &asset{name: p, ctype: ctype, data: b, hash: hex.EncodeToString(sum[:])[:12]}
		return nil
	})
	return a, err
}

// url is the path pages link name by, with its content hash.
func (a *assets) url(name string) string {
	f, ok := a.files[name]
	if !ok {
		panic("web: no static asset " + name)
	}
	if strings.HasPrefix(name, "vendor/") {
		return "/static/" + name
	}
	return "/static/" + name + "?v=" + f.hash
}

// startTime is the Last-Modified of every asset: embedded files have no
// modification time of their own.
var startTime = time.Now()

// ServeHTTP serves /static/NAME (with the prefix stripped).
func (a *assets) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f, ok := a.files[r.URL.Path]
	if !ok {
		http.NotFound(w, r)
		return
	}
	hd := w.Header()
	if strings.HasPrefix(f.name, "vendor/") || r.URL.Query().Get("v") == f.hash {
		hd.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		hd.Set("Cache-Control", "public, max-age=3600")
	}
	hd.Set("Content-Type", f.ctype)
	hd.Set("ETag", `"`+f.hash+`"`)
	hd.Add("Vary", "Accept-Encoding")
	if compressible(f.ctype) && acceptsGzip(r) {
		f.gzOnce.Do(func() {
			var buf bytes.Buffer
			zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
			zw.Write(f.data)
			zw.Close()
			f.gz = buf.Bytes()
		})
		if inm := r.Header.Get("If-None-Match"); inm == `"`+f.hash+`"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		hd.Set("Content-Encoding", "gzip")
		hd.Set("Content-Length", strconv.Itoa(len(f.gz)))
		w.WriteHeader(http.StatusOK)
		if r.Method != http.MethodHead {
			w.Write(f.gz)
		}
		return
	}
	http.ServeContent(w, r, "", startTime, bytes.NewReader(f.data))
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.TrimSpace(enc) == "gzip" && strings.ReplaceAll(strings.TrimSpace(q), " ", "") != "q=0" {
			return true
		}
	}
	return false
}

// compressible reports whether a response of this content type is worth
// compressing: text, JSON, JavaScript, SVG.
func compressible(ctype string) bool {
	ct, _, _ := strings.Cut(ctype, ";")
	ct = strings.TrimSpace(ct)
	return strings.HasPrefix(ct, "text/") || ct == "application/json" || ct == "application/javascript" ||
		ct == "image/svg+xml" || ct == "application/openmetrics-text"
}

// gzipText compresses text responses for clients that accept gzip.
// Responses that set their own Content-Encoding (the static assets) pass
// through untouched.
func gzipText(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !acceptsGzip(r) || r.Method == http.MethodHead {
			next.ServeHTTP(w, r)
			return
		}
		w.Header().Add("Vary", "Accept-Encoding")
		gw := &gzipWriter{ResponseWriter: w}
		defer func() {
			if v := recover(); v != nil {
				// An aborted response (http.ErrAbortHandler) must not end
				// with a valid gzip trailer: let it break as it is.
				panic(v)
			}
			gw.close()
		}()
		next.ServeHTTP(gw, r)
	})
}

// gzipWriter decides at WriteHeader whether to compress.
type gzipWriter struct {
	http.ResponseWriter
	decided bool
	zw      *gzip.Writer
}

var gzipPool = sync.Pool{New: func() any { zw, _ := gzip.NewWriterLevel(io.Discard, gzip.BestSpeed); return zw }}

func (g *gzipWriter) WriteHeader(status int) {
	if !g.decided {
		g.decided = true
		hd := g.Header()
		if hd.Get("Content-Encoding") == "" && compressible(hd.Get("Content-Type")) &&
			status != http.StatusNoContent && status != http.StatusNotModified && status >= 200 {
			hd.Set("Content-Encoding", "gzip")
			hd.Del("Content-Length")
			g.zw = gzipPool.Get().(*gzip.Writer)
			g.zw.Reset(g.ResponseWriter)
		}
	}
	g.ResponseWriter.WriteHeader(status)
}

func (g *gzipWriter) Write(p []byte) (int, error) {
	if !g.decided {
		if g.Header().Get("Content-Type") == "" {
			g.Header().Set("Content-Type", http.DetectContentType(p))
		}
		g.WriteHeader(http.StatusOK)
	}
	if g.zw != nil {
		return g.zw.Write(p)
	}
	return g.ResponseWriter.Write(p)
}

// Flush sends what is compressed so far.
func (g *gzipWriter) Flush() {
	if g.zw != nil {
		g.zw.Flush()
	}
	if f, ok := g.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the connection.
func (g *gzipWriter) Unwrap() http.ResponseWriter { return g.ResponseWriter }

func (g *gzipWriter) close() {
	if g.zw != nil {
		g.zw.Close()
		g.zw.Reset(io.Discard)
		gzipPool.Put(g.zw)
		g.zw = nil
	}
}
