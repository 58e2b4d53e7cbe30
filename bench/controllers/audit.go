/*
Copyright The workloads-apiserver Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package controllers

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

// AuditPolicy records write requests only, at Metadata level, once each.
// kube-apiserver audits requests it proxies to aggregated servers too, so
// the writes of both controller managers land in one log, with the user
// agent of the client that sent them. (kube-apiserver's request metrics carry
// no user agent, so the audit log is where writes per controller are
// counted.)
const AuditPolicy = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived", "ResponseStarted"]
rules:
- level: Metadata
  verbs: ["create", "update", "patch", "delete", "deletecollection"]
- level: None
`

// auditEvent is the part of an audit.k8s.io/v1 Event the benchmark reads.
type auditEvent struct {
	Stage     string `json:"stage"`
	Verb      string `json:"verb"`
	UserAgent string `json:"userAgent"`
	ObjectRef *struct {
		Resource    string `json:"resource"`
		Subresource string `json:"subresource"`
		APIGroup    string `json:"apiGroup"`
	} `json:"objectRef"`
}

// Writes counts write requests per "group/resource[/subresource]".
type Writes map[string]int

// Total is the number of writes.
func (w Writes) Total() int {
	n := 0
	for _, v := range w {
		n += v
	}
	return n
}

// AuditLog reads an audit log from an offset on, so each scenario counts only
// its own requests.
type AuditLog struct {
	Path string
}

// Offset is the current end of the log.
func (a AuditLog) Offset() (int64, error) {
	fi, err := os.Stat(a.Path)
	if os.IsNotExist(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}

// CountWrites counts the completed write requests between from and to whose
// user agent satisfies match.
func (a AuditLog) CountWrites(from, to int64, match func(userAgent string) bool) (Writes, error) {
	if to < from {
		return nil, fmt.Errorf("the audit log %s shrank from %d to %d bytes during the phase (rotated?): its writes cannot be counted", a.Path, from, to)
	}
	f, err := os.Open(a.Path)
	if err != nil {
		return nil, fmt.Errorf("opening the audit log: %w", err)
	}
	defer f.Close()
	if _, err := f.Seek(from, io.SeekStart); err != nil {
		return nil, err
	}
	return countWrites(io.LimitReader(f, to-from), match)
}

func countWrites(r io.Reader, match func(userAgent string) bool) (Writes, error) {
	out := Writes{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if len(line) == 0 {
			continue
		}
		var ev auditEvent
		if err := json.Unmarshal(line, &ev); err != nil {
			// The window may end inside a line being written.
			continue
		}
		if ev.Stage != "ResponseComplete" || !match(ev.UserAgent) {
			continue
		}
		switch ev.Verb {
		case "create", "update", "patch", "delete", "deletecollection":
		default:
			continue
		}
		key := "?"
		if ev.ObjectRef != nil {
			key = ev.ObjectRef.Resource
			if ev.ObjectRef.APIGroup != "" {
				key = ev.ObjectRef.APIGroup + "/" + key
			}
			if ev.ObjectRef.Subresource != "" {
				key += "/" + ev.ObjectRef.Subresource
			}
		}
		out[key]++
	}
	return out, sc.Err()
}

// UpstreamAgent matches kube-controller-manager's clients for the named
// controllers: kube-controller-manager appends "/<name>" (e.g.
// "/daemon-set-controller") to its user agent per controller, and the
// controller's events go out on the same client.
func UpstreamAgent(controllers ...string) func(string) bool {
	return func(ua string) bool {
		if !strings.HasPrefix(ua, "kube-controller-manager/") {
			return false
		}
		for _, c := range controllers {
			if strings.HasSuffix(ua, "/"+c) {
				return true
			}
		}
		return false
	}
}

// OurAgent matches workloads-controller-manager's clients for the named
// controllers ("workloads-controller-manager/<name>") and its event sink
// ("workloads-controller-manager/events"), which all controllers share.
func OurAgent(controllers ...string) func(string) bool {
	return func(ua string) bool {
		name, ok := strings.CutPrefix(ua, "workloads-controller-manager/")
		if !ok {
			return false
		}
		name, _, _ = strings.Cut(name, " ")
		return name == "events" || slices.Contains(controllers, name)
	}
}
