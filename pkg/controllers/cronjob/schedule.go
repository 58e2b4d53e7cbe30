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

package cronjob

import (
	"errors"
	"fmt"
	"hash/fnv"
	"strings"
	"time"

	// The time zone database is embedded so that spec.timeZone works on
	// hosts (and images) without /usr/share/zoneinfo.
	_ "time/tzdata"

	"github.com/robfig/cron/v3"
	"k8s.io/utils/ptr"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
)

// nextFunc returns the first activation strictly after t, or the zero time
// when there is none within five years (the cron library's search limit).
type nextFunc func(t time.Time) time.Time

// schedule is a parsed CronJob schedule in its time zone.
type schedule struct {
	// next is set for calendar schedules (five fields or @hourly, @daily,
	// ...): their activations are a fixed set of instants.
	next nextFunc
	// every is set for @every schedules: their activations are anchored at
	// the earliest time (last schedule time, creation or resume) and repeat
	// every interval.
	every time.Duration
	// loc is the schedule's time zone.
	loc *time.Location
	// offset delays every activation of a calendar schedule: the CronJob's
	// jitter (see jitterOffset). Zero without spec.jitterSeconds.
	offset time.Duration
}

// jitterOffset returns the fixed delay of a CronJob's schedule times: a
// hash of its UID modulo spec.jitterSeconds, in whole seconds in
// [0, jitterSeconds). It is zero when jitterSeconds is unset or 0. The
// same CronJob gets the same offset on every call and in every controller
// process; CronJobs with different UIDs are spread over the window.
func jitterOffset(cj *v1alpha1.CronJob) time.Duration {
	window := ptr.Deref(cj.Spec.JitterSeconds, 0)
	if window <= 0 {
		return 0
	}
	h := fnv.New64a()
	_, _ = h.Write([]byte(cj.UID))
	return time.Duration(h.Sum64()%uint64(window)) * time.Second
}

// errBothTimeZones is returned for a schedule that names a time zone
// (TZ= or CRON_TZ=) while spec.timeZone is set too.
var errBothTimeZones = errors.New("spec.schedule names a time zone with TZ= or CRON_TZ= and spec.timeZone is set; remove one of them")

// parseSchedule parses the schedule of cj with the standard cron parser
// (five fields and the @ descriptors, as validation does) in spec.timeZone,
// or in UTC when it is unset. A TZ= or CRON_TZ= prefix in the schedule,
// which validation tolerates only on CronJobs that already had one and no
// spec.timeZone, is honoured. The controller's local zone is never used.
func parseSchedule(cj *v1alpha1.CronJob) (*schedule, error) {
	spec := strings.TrimSpace(cj.Spec.Schedule)
	inlineTZ := strings.HasPrefix(spec, "TZ=") || strings.HasPrefix(spec, "CRON_TZ=")
	if inlineTZ && cj.Spec.TimeZone != nil {
		return nil, errBothTimeZones
	}
	loc := time.UTC
	if cj.Spec.TimeZone != nil {
		var err error
		if loc, err = loadLocation(*cj.Spec.TimeZone); err != nil {
			return nil, err
		}
	}
	if inlineTZ {
		name, _, _ := strings.Cut(spec[strings.Index(spec, "=")+1:], " ")
		var err error
		if loc, err = loadLocation(name); err != nil {
			return nil, err
		}
	}
	parsed, err := parseStandard(spec)
	if err != nil {
		return nil, err
	}
	switch s := parsed.(type) {
	case *cron.SpecSchedule:
		s.Location = loc
		return &schedule{next: skipRepeatedWallClock(s), loc: loc, offset: jitterOffset(cj)}, nil
	case cron.ConstantDelaySchedule:
		// @every schedules count from the last run (or creation), so
		// CronJobs created apart are already apart; jitter does not apply.
		return &schedule{every: s.Delay, loc: loc}, nil
	default:
		return nil, fmt.Errorf("unsupported schedule type %T", parsed)
	}
}

// loadLocation loads an IANA time zone; "Local" (the controller's zone) and
// "" are refused.
func loadLocation(name string) (*time.Location, error) {
	if name == "" || strings.EqualFold(name, "Local") {
		return nil, fmt.Errorf("time zone %q: must be an explicit IANA time zone such as Europe/Berlin", name)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("time zone %q: %w", name, err)
	}
	return loc, nil
}

// parseStandard parses a schedule, turning a panic of the parser into an
// error.
func parseStandard(spec string) (s cron.Schedule, err error) {
	defer func() {
		if r := recover(); r != nil {
			s, err = nil, fmt.Errorf("invalid schedule %q: %v", spec, r)
		}
	}()
	s, err = cron.ParseStandard(spec)
	if err != nil {
		return nil, fmt.Errorf("invalid schedule %q: %w", spec, err)
	}
	return s, nil
}

// skipRepeatedWallClock wraps the activations of a calendar schedule for the
// daylight saving time fall-back: a wall-clock time that happens twice is
// run only at its first occurrence, unless the minute or the hour field
// covers every value (the schedule is an interval then, such as "every
// hour" or "every minute from 1 to 2 AM", and runs through both
// occurrences). The result is still the first activation after t of a fixed
// set of instants (the library's set minus the repeats), so it stays
// monotonic, which latestActivation relies on.
//
// Wall-clock times that do not exist (spring forward) are skipped by the
// library itself: a daily 02:30 job does not run that day.
func skipRepeatedWallClock(s *cron.SpecSchedule) nextFunc {
	const allMinutes, allHours = uint64(1)<<60 - 1, uint64(1)<<24 - 1
	interval := s.Minute&allMinutes == allMinutes || s.Hour&allHours == allHours
	if interval {
		return s.Next
	}
	return func(t time.Time) time.Time {
		next := s.Next(t)
		// A repeated hour has at most 60*60 activations; the bound only
		// guards against a library surprise.
		for i := 0; i < 3600 && !next.IsZero() && isRepeatedWallClock(next, s.Location); i++ {
			next = s.Next(next)
		}
		return next
	}
}

// isRepeatedWallClock reports whether the wall-clock time of t in loc also
// happened earlier, before the clocks were set back.
func isRepeatedWallClock(t time.Time, loc *time.Location) bool {
	t = t.In(loc)
	_, offset := t.Zone()
	// Clock changes set clocks back by at most a few hours.
	_, before := t.Add(-4 * time.Hour).Zone()
	if before <= offset {
		return false
	}
	twin := t.Add(-time.Duration(before-offset) * time.Second)
	if _, twinOffset := twin.Zone(); twinOffset != before {
		return false
	}
	y1, m1, d1 := t.Date()
	y2, m2, d2 := twin.Date()
	h1, min1, s1 := t.Clock()
	h2, min2, s2 := twin.Clock()
	return y1 == y2 && m1 == m2 && d1 == d2 && h1 == h2 && min1 == min2 && s1 == s2
}

// latestActivation returns the most recent activation in (earliest, now],
// and false when there is none.
//
// It does not walk through the missed activations, which after a long
// downtime can be hundreds of thousands (a year of "* * * * *"). For an
// @every schedule the activations are earliest+k*interval, so the answer is
// arithmetic. For a calendar schedule next(s) — the first activation after
// s — is monotonic in s, so a binary search over s in [earliest, now] finds
// the largest s whose next activation is still at or before now:
//
//	invariant: next(lo) <= now < next(hi)   (next(hi) may be "none")
//
// Activations are whole seconds, so once hi-lo <= 1s, next(lo) is the
// latest activation at or before now: a later one T <= now would be at least
// one second after next(lo) > lo, so T-1s >= hi and next(hi) <= T <= now,
// contradicting the invariant. That takes log2((now-earliest)/1s)+1 calls of
// next: 26 for a year, 33 for a century.
func (s *schedule) latestActivation(earliest, now time.Time) (time.Time, bool) {
	if s.offset != 0 {
		// The delayed activations after earliest up to now are the
		// activations after earliest-offset up to now-offset, delayed.
		t, ok := s.unshifted().latestActivation(earliest.Add(-s.offset), now.Add(-s.offset))
		return t.Add(s.offset), ok
	}
	if s.every > 0 {
		anchor := earliest.Truncate(time.Second)
		if now.Before(anchor.Add(s.every)) {
			return time.Time{}, false
		}
		k := now.Sub(anchor) / s.every
		return anchor.Add(k * s.every), true
	}
	first := s.next(earliest)
	if first.IsZero() || first.After(now) {
		return time.Time{}, false
	}
	lo, hi := earliest, now
	for hi.Sub(lo) > time.Second {
		mid := lo.Add(hi.Sub(lo) / 2)
		if n := s.next(mid); !n.IsZero() && !n.After(now) {
			lo = mid
		} else {
			hi = mid
		}
	}
	return s.next(lo), true
}

// nextActivation returns the first activation strictly after now (and after
// earliest), or false when there is none within five years.
func (s *schedule) nextActivation(earliest, now time.Time) (time.Time, bool) {
	if s.offset != 0 {
		t, ok := s.unshifted().nextActivation(earliest.Add(-s.offset), now.Add(-s.offset))
		if !ok {
			return time.Time{}, false
		}
		return t.Add(s.offset), true
	}
	if s.every > 0 {
		anchor := earliest.Truncate(time.Second)
		if now.Before(anchor) {
			return anchor.Add(s.every), true
		}
		k := now.Sub(anchor)/s.every + 1
		return anchor.Add(k * s.every), true
	}
	from := now
	if earliest.After(now) {
		from = earliest
	}
	next := s.next(from)
	return next, !next.IsZero()
}

// unshifted returns the schedule without its jitter offset.
func (s *schedule) unshifted() *schedule {
	u := *s
	u.offset = 0
	return &u
}

// countActivations returns how many activations lie in (after, now], and
// stops counting at limit (the count is then at least limit). A calendar
// schedule is walked activation by activation, hence the limit.
func (s *schedule) countActivations(after, now time.Time, limit int) int {
	if s.every > 0 {
		if !now.After(after) {
			return 0
		}
		return min(int(now.Sub(after)/s.every), limit)
	}
	n := 0
	for t := after; n < limit; n++ {
		next, ok := s.nextActivation(t, t)
		if !ok || next.After(now) {
			break
		}
		t = next
	}
	return n
}

// timeZoneName returns the time zone a CronJob's schedule is read in, for
// messages.
func timeZoneName(cj *v1alpha1.CronJob) string {
	return ptr.Deref(cj.Spec.TimeZone, "UTC")
}
