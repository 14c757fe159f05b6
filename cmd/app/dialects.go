package app

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/gin-gonic/gin"

	"cloudbroker/adapters"
)

// Dialect is one API dialect as a process serves it, declared in one value and registered
// once (RegisterDialect): the router mounts it, a path under its prefix that no route takes
// answers in its shape, and the metrics label its requests with its name.
type Dialect struct {
	// Name labels the dialect's requests in the metrics; the server it mounts names itself so
	// too (adapters.Dialect.Name), for the edge's refusals.
	Name string
	// Prefix is the path the dialect owns, with everything below it ("/zstack" owns
	// /zstack/v1/...).
	Prefix string
	// Mount builds the dialect for the process and mounts its routes on m.Router behind m.Edge.
	// It returns what the dialect runs with the process (its Hooks; zero for none).
	Mount func(m Mount) Hooks
	// Unrouted answers a request under Prefix that no route or method takes (code 404 or 405).
	Unrouted func(c *gin.Context, code int)
}

// Mount is what a dialect is mounted with.
type Mount struct {
	App    *App
	Router gin.IRouter
	Edge   *adapters.Edge
}

// Hooks are a dialect's part in the process's life: Start runs in App.Start (Redis's loss
// marker is checked by then), Stop in App.Close. Either may be nil.
type Hooks struct {
	Start func() error
	Stop  func()
}

var (
	dialectsMu sync.RWMutex
	dialects   []Dialect
)

// RegisterDialect makes a dialect part of every process built after it. It panics on a
// dialect without a name, prefix, Mount or Unrouted, and on a name or prefix already taken
// (one prefix below another's too), as database/sql.Register does: programming errors found
// at start-up.
func RegisterDialect(d Dialect) {
	dialectsMu.Lock()
	defer dialectsMu.Unlock()
	if d.Name == "" || !strings.HasPrefix(d.Prefix, "/") || strings.HasSuffix(d.Prefix, "/") || d.Mount == nil || d.Unrouted == nil {
		panic("app: RegisterDialect needs a name, a prefix /like/this, Mount and Unrouted: " + d.Name)
	}
	for _, o := range dialects {
		if o.Name == d.Name || owns(o.Prefix, d.Prefix) || owns(d.Prefix, o.Prefix) {
			panic("app: RegisterDialect called twice for dialect " + d.Name + " (or its prefix " + d.Prefix + ")")
		}
	}
	dialects = append(dialects, d)
}

// Dialects lists the registered dialects, by name.
func Dialects() []Dialect {
	dialectsMu.RLock()
	defer dialectsMu.RUnlock()
	return slices.SortedFunc(slices.Values(dialects), func(a, b Dialect) int { return strings.Compare(a.Name, b.Name) })
}

// dialectOf returns the dialect that owns path.
func dialectOf(path string) (Dialect, bool) {
	dialectsMu.RLock()
	defer dialectsMu.RUnlock()
	for _, d := range dialects {
		if owns(d.Prefix, path) {
			return d, true
		}
	}
	return Dialect{}, false
}

func owns(prefix, path string) bool {
	return path == prefix || strings.HasPrefix(path, prefix+"/")
}

// dialectLabel names the dialect of a path for the metrics ("other" for none).
func dialectLabel(path string) string {
	if d, ok := dialectOf(path); ok {
		return d.Name
	}
	return "other"
}

// unrouted answers an unknown path or method in the dialect its prefix names.
func unrouted(c *gin.Context, code int) {
	if d, ok := dialectOf(c.Request.URL.Path); ok {
		d.Unrouted(c, code)
		return
	}
	c.JSON(code, gin.H{"error": http.StatusText(code), "path": c.Request.URL.Path})
}

// mounted is a dialect this process mounted, and its hooks.
type mounted struct {
	name string
	Hooks
}

// mountDialects mounts every registered dialect and keeps their hooks.
func (a *App) mountDialects(r gin.IRouter, edge *adapters.Edge) {
	for _, d := range Dialects() {
		a.dialects = append(a.dialects, mounted{d.Name, d.Mount(Mount{App: a, Router: r, Edge: edge})})
	}
}

// startDialects runs the dialects' Start hooks.
func (a *App) startDialects() error {
	for _, d := range a.dialects {
		if d.Start == nil {
			continue
		}
		if err := d.Start(); err != nil {
			return fmt.Errorf("%s: %w", d.name, err)
		}
	}
	return nil
}

// stopDialects runs their Stop hooks.
func (a *App) stopDialects() {
	for _, d := range a.dialects {
		if d.Stop != nil {
			d.Stop()
		}
	}
}
