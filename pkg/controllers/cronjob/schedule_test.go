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
	"math/rand"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
)

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func cronJobWith(schedule string, tz *string) *v1alpha1.CronJob {
	return &v1alpha1.CronJob{
		ObjectMeta: metav1.ObjectMeta{Name: "cj", Namespace: "default"},
		Spec:       v1alpha1.CronJobSpec{Schedule: schedule, TimeZone: tz},
	}
}

func mustSchedule(t *testing.T, schedule string, tz *string) *schedule {
	t.Helper()
	s, err := parseSchedule(cronJobWith(schedule, tz))
	if err != nil {
		t.Fatalf("parsing %q: %v", schedule, err)
	}
	return s
}

// TestNextActivationAcrossDST follows a schedule from a start time through a
// daylight saving time change and checks every activation, as instants with
// their UTC offsets.
func TestNextActivationAcrossDST(t *testing.T) {
	newYork, berlin := ptr.To("America/New_York"), ptr.To("Europe/Berlin")
	for _, tc := range []struct {
		name     string
		schedule string
		tz       *string
		from     string
		want     []string
	}{{
		// 2026-03-08 02:00 EST -> 03:00 EDT: 02:30 does not exist that day.
		name: "New York spring forward skips 02:30", schedule: "30 2 * * *", tz: newYork,
		from: "2026-03-07T00:00:00-05:00",
		want: []string{"2026-03-07T02:30:00-05:00", "2026-03-09T02:30:00-04:00", "2026-03-10T02:30:00-04:00"},
	}, {
		name: "New York spring forward hourly", schedule: "0 * * * *", tz: newYork,
		from: "2026-03-08T00:30:00-05:00",
		want: []string{"2026-03-08T01:00:00-05:00", "2026-03-08T03:00:00-04:00", "2026-03-08T04:00:00-04:00"},
	}, {
		// 2026-11-01 02:00 EDT -> 01:00 EST: 01:30 happens twice, runs once.
		name: "New York fall back runs 01:30 once", schedule: "30 1 * * *", tz: newYork,
		from: "2026-10-31T00:00:00-04:00",
		want: []string{"2026-10-31T01:30:00-04:00", "2026-11-01T01:30:00-04:00", "2026-11-02T01:30:00-05:00"},
	}, {
		name: "New York fall back hourly runs every real hour", schedule: "30 * * * *", tz: newYork,
		from: "2026-11-01T00:00:00-04:00",
		want: []string{"2026-11-01T00:30:00-04:00", "2026-11-01T01:30:00-04:00", "2026-11-01T01:30:00-05:00", "2026-11-01T02:30:00-05:00"},
	}, {
		// 2026-03-29 02:00 CET -> 03:00 CEST.
		name: "Berlin spring forward skips 02:30", schedule: "30 2 * * *", tz: berlin,
		from: "2026-03-28T00:00:00+01:00",
		want: []string{"2026-03-28T02:30:00+01:00", "2026-03-30T02:30:00+02:00"},
	}, {
		// 2026-10-25 03:00 CEST -> 02:00 CET.
		name: "Berlin fall back runs 02:30 once", schedule: "30 2 * * *", tz: berlin,
		from: "2026-10-24T12:00:00+02:00",
		want: []string{"2026-10-25T02:30:00+02:00", "2026-10-26T02:30:00+01:00"},
	}, {
		name: "Berlin fall back, several times in the repeated hour", schedule: "*/20 2 * * *", tz: berlin,
		from: "2026-10-25T00:00:00+02:00",
		want: []string{"2026-10-25T02:00:00+02:00", "2026-10-25T02:20:00+02:00", "2026-10-25T02:40:00+02:00", "2026-10-26T02:00:00+01:00"},
	}, {
		name: "Berlin fall back, every minute of hour 2 is an interval", schedule: "* 2 * * *", tz: berlin,
		from: "2026-10-25T02:58:30+02:00",
		want: []string{"2026-10-25T02:59:00+02:00", "2026-10-25T02:00:00+01:00", "2026-10-25T02:01:00+01:00"},
	}, {
		name: "macro in a time zone", schedule: "@daily", tz: berlin,
		from: "2026-10-24T12:00:00Z",
		want: []string{"2026-10-25T00:00:00+02:00", "2026-10-26T00:00:00+01:00"},
	}, {
		name: "no time zone means UTC", schedule: "0 9 * * 1-5", tz: nil,
		from: "2026-11-27T10:00:00Z",
		want: []string{"2026-11-30T09:00:00Z", "2026-12-01T09:00:00Z"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			s := mustSchedule(t, tc.schedule, tc.tz)
			from := mustTime(t, tc.from)
			for i, w := range tc.want {
				want := mustTime(t, w)
				got, ok := s.nextActivation(from, from)
				if !ok || !got.Equal(want) {
					t.Fatalf("activation %d after %s: got %s (ok=%v), want %s", i, from.Format(time.RFC3339), got.In(want.Location()).Format(time.RFC3339), ok, w)
				}
				from = got
			}
		})
	}
}

// TestScheduleNeverUsesLocalZone runs with the process's local zone set to
// Asia/Tokyo: a schedule without timeZone must still be read in UTC.
func TestScheduleNeverUsesLocalZone(t *testing.T) {
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	saved := time.Local
	time.Local = tokyo
	defer func() { time.Local = saved }()

	// 12:00 in Tokyo is 03:00 UTC.
	from := time.Date(2026, 6, 1, 12, 0, 0, 0, tokyo)
	for schedule, want := range map[string]string{
		"0 9 * * *": "2026-06-01T09:00:00Z",
		"@daily":    "2026-06-02T00:00:00Z",
	} {
		s := mustSchedule(t, schedule, nil)
		if got, _ := s.nextActivation(from, from); !got.Equal(mustTime(t, want)) {
			t.Errorf("%q: next is %s, want %s (UTC, not the local zone)", schedule, got.UTC().Format(time.RFC3339), want)
		}
	}
}

func TestParseScheduleTimeZones(t *testing.T) {
	s := mustSchedule(t, "CRON_TZ=Europe/Berlin 0 9 * * *", nil)
	from := mustTime(t, "2026-01-10T00:00:00Z")
	if got, _ := s.nextActivation(from, from); !got.Equal(mustTime(t, "2026-01-10T08:00:00Z")) {
		t.Errorf("CRON_TZ prefix: next is %s, want 08:00 UTC (09:00 in Berlin)", got.UTC())
	}
	if s.loc.String() != "Europe/Berlin" {
		t.Errorf("CRON_TZ prefix: zone %s, want Europe/Berlin", s.loc)
	}
	if _, err := parseSchedule(cronJobWith("TZ=Europe/Berlin 0 9 * * *", ptr.To("UTC"))); !errors.Is(err, errBothTimeZones) {
		t.Errorf("TZ prefix and timeZone: err %v, want errBothTimeZones", err)
	}
	for _, tc := range []struct {
		schedule string
		tz       *string
		want     string
	}{
		{"0 9 * * *", ptr.To("Local"), "explicit IANA time zone"},
		{"TZ=Local 0 9 * * *", nil, "explicit IANA time zone"},
		{"0 9 * * *", ptr.To("Mars/Olympus_Mons"), "Mars/Olympus_Mons"},
		{"0 9 * *", nil, "invalid schedule"},
		{"61 * * * *", nil, "invalid schedule"},
	} {
		if _, err := parseSchedule(cronJobWith(tc.schedule, tc.tz)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q in %v: err %v, want one mentioning %q", tc.schedule, ptr.Deref(tc.tz, "<nil>"), err, tc.want)
		}
	}
}

// countingSchedule counts the calls of the schedule's next function.
func countingSchedule(s *schedule) (*schedule, *int) {
	calls := 0
	inner := s.next
	s.next = func(t time.Time) time.Time {
		calls++
		return inner(t)
	}
	return s, &calls
}

// TestLatestActivationAfterAYearDown: a year of "* * * * *" has 525,600
// missed times; the latest is found with a logarithmic number of calls.
func TestLatestActivationAfterAYearDown(t *testing.T) {
	s, calls := countingSchedule(mustSchedule(t, "* * * * *", nil))
	earliest := mustTime(t, "2025-11-26T12:00:00Z")
	now := mustTime(t, "2026-11-26T12:34:56Z")
	got, ok := s.latestActivation(earliest, now)
	if want := mustTime(t, "2026-11-26T12:34:00Z"); !ok || !got.Equal(want) {
		t.Fatalf("latest: got %s (ok=%v), want %s", got, ok, want)
	}
	// ceil(log2(seconds in a year)) = 25 halvings, plus the first and last
	// lookups.
	if *calls > 27 {
		t.Errorf("latestActivation called next %d times for a year of minutes; want at most 27", *calls)
	}

	// A century of hourly runs.
	s, calls = countingSchedule(mustSchedule(t, "@hourly", nil))
	got, ok = s.latestActivation(mustTime(t, "1926-01-01T00:00:00Z"), now)
	if want := mustTime(t, "2026-11-26T12:00:00Z"); !ok || !got.Equal(want) {
		t.Fatalf("latest hourly: got %s (ok=%v), want %s", got, ok, want)
	}
	if *calls > 34 {
		t.Errorf("latestActivation called next %d times for a century; want at most 34", *calls)
	}
}

func TestLatestActivation(t *testing.T) {
	newYork := ptr.To("America/New_York")
	for _, tc := range []struct {
		name, schedule string
		tz             *string
		earliest, now  string
		want           string // "" for none
	}{
		{name: "none yet", schedule: "* * * * *", earliest: "2026-03-01T12:00:10Z", now: "2026-03-01T12:00:50Z"},
		{name: "exactly at the time", schedule: "* * * * *", earliest: "2026-03-01T12:00:10Z", now: "2026-03-01T12:01:00Z", want: "2026-03-01T12:01:00Z"},
		{name: "earliest itself is not missed", schedule: "0 * * * *", earliest: "2026-03-01T12:00:00Z", now: "2026-03-01T12:59:59Z"},
		{name: "sparse weekday schedule", schedule: "30 6-16/4 * * 1-5", earliest: "2026-02-01T00:00:00Z", now: "2026-03-01T12:00:00Z", want: "2026-02-27T14:30:00Z"},
		{name: "fall back: the repeated 01:30 is not a missed time", schedule: "30 1 * * *", tz: newYork,
			earliest: "2026-10-01T00:00:00Z", now: "2026-11-01T01:45:00-05:00", want: "2026-11-01T01:30:00-04:00"},
		{name: "@every is anchored at the earliest time", schedule: "@every 90m", earliest: "2026-03-01T10:00:00Z", now: "2026-03-01T14:10:00Z", want: "2026-03-01T13:00:00Z"},
		{name: "@every, none yet", schedule: "@every 90m", earliest: "2026-03-01T10:00:00Z", now: "2026-03-01T11:29:59Z"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := mustSchedule(t, tc.schedule, tc.tz)
			got, ok := s.latestActivation(mustTime(t, tc.earliest), mustTime(t, tc.now))
			switch {
			case tc.want == "" && ok:
				t.Errorf("got %s, want none", got)
			case tc.want != "" && (!ok || !got.Equal(mustTime(t, tc.want))):
				t.Errorf("got %s (ok=%v), want %s", got, ok, tc.want)
			}
		})
	}
}

// TestLatestActivationMatchesWalking compares the binary search with walking
// through every activation, for schedules and windows drawn at random
// (seeded), including windows across DST changes.
func TestLatestActivationMatchesWalking(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	schedules := []struct {
		spec string
		tz   *string
	}{
		{"*/7 * * * *", nil}, {"0 9-17 * * 1-5", nil}, {"30 6-16/4 * * 1-5", ptr.To("Europe/Berlin")},
		{"0 0 1,15 * *", nil}, {"@hourly", ptr.To("America/New_York")}, {"30 1 * * *", ptr.To("America/New_York")},
		{"*/20 2 * * *", ptr.To("Europe/Berlin")}, {"15 14 * * 0", ptr.To("Australia/Lord_Howe")},
	}
	base := mustTime(t, "2026-02-20T00:00:00Z")
	for i := 0; i < 400; i++ {
		sc := schedules[i%len(schedules)]
		s := mustSchedule(t, sc.spec, sc.tz)
		// Windows anywhere in 2026 (covering both DST changes), up to 20 days.
		earliest := base.Add(time.Duration(rng.Int63n(int64(300 * 24 * time.Hour))))
		now := earliest.Add(time.Duration(rng.Int63n(int64(20 * 24 * time.Hour))))
		var want time.Time
		for n := s.next(earliest); !n.IsZero() && !n.After(now); n = s.next(n) {
			want = n
		}
		got, ok := s.latestActivation(earliest, now)
		if ok != !want.IsZero() || !got.Equal(want) {
			t.Fatalf("%q in %v, (%s, %s]: got %s (ok=%v), walking gives %s", sc.spec, ptr.Deref(sc.tz, "UTC"),
				earliest.Format(time.RFC3339), now.Format(time.RFC3339), got, ok, want)
		}
	}
}

func TestNextActivationEvery(t *testing.T) {
	s := mustSchedule(t, "@every 90m", nil)
	earliest := mustTime(t, "2026-03-01T10:00:00Z")
	for now, want := range map[string]string{
		"2026-03-01T09:00:00Z": "2026-03-01T11:30:00Z",
		"2026-03-01T10:00:00Z": "2026-03-01T11:30:00Z",
		"2026-03-01T11:30:00Z": "2026-03-01T13:00:00Z",
		"2026-03-01T14:10:00Z": "2026-03-01T14:30:00Z",
	} {
		if got, ok := s.nextActivation(earliest, mustTime(t, now)); !ok || !got.Equal(mustTime(t, want)) {
			t.Errorf("after %s: got %s, want %s", now, got, want)
		}
	}
}
