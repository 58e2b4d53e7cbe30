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

// Package cronjob implements the controller of experimental/v1alpha1
// CronJobs: it creates an experimental Job for each time the schedule
// fires, following kube-controller-manager's batch/v1 CronJob controller,
// with these differences:
//
//   - Time zones: a schedule is read in spec.timeZone, or in UTC when it is
//     unset; never in the controller's local zone.
//   - Daylight saving time: a wall-clock time that does not exist on a day
//     (02:30 in America/New_York when clocks spring forward) is skipped that
//     day. A wall-clock time that happens twice (01:30 when clocks fall back)
//     runs once, at its first occurrence, unless the schedule's minute or hour
//     field is a wildcard covering every value (then the schedule is an
//     interval, "every hour", and runs in both occurrences), as Vixie cron
//     does.
//   - Missed runs: after the controller was down, or a run was blocked, only
//     the most recent missed time is run (at most one catch-up Job), and it
//     is found with a binary search over the schedule (see latestActivation),
//     so a CronJob never stops because too many times were missed.
//   - Suspension and schedule changes: the times that passed while a CronJob
//     was suspended, or before its schedule or time zone changed, are not
//     missed runs: the window restarts when the controller observes the
//     resume or the change. A resume the controller did not observe (it was
//     not running) falls back to upstream's semantics: one catch-up run for
//     the most recent missed time, within startingDeadlineSeconds.
//   - startingDeadlineSeconds: a missed time older than the deadline is
//     skipped with a MissSchedule event.
//   - Requeues: a CronJob is queued again at exactly its next schedule time.
//   - Status writes: a sync that creates a Job leaves the status write
//     (status.active, lastScheduleTime) to the next sync, which it queues
//     behind the CronJobs already due; when many CronJobs fire in the same
//     minute, every Job is created before any status is written.
//
// Jobs are named <cronjob>-<scheduled time in Unix minutes>, so a restarted
// controller finds the Job it created (AlreadyExists) instead of creating a
// second one; schedules firing more often than once a minute (@every 30s)
// therefore run at most once a minute.
package cronjob
