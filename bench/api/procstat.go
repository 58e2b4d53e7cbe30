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

package api

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Process names, as the CPU and memory columns of the report show them.
const (
	ProcKubeAPIServer      = "kube-apiserver"
	ProcEtcd               = "etcd"
	ProcWorkloadsAPIServer = "workloads-apiserver"
	ProcWorkloadsEtcd      = "workloads-etcd"
)

// Process is a server process whose CPU time and memory the benchmark reads
// from /proc.
type Process struct {
	Name string
	PID  int
}

// clockTicks is USER_HZ, the unit of utime and stime in /proc/<pid>/stat:
// 100 on every Linux architecture Go supports.
const clockTicks = 100

// cpuSeconds returns utime+stime of a process in seconds.
func cpuSeconds(pid int) (float64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	return parseStatCPU(data)
}

// parseStatCPU reads utime and stime (fields 14 and 15) of a
// /proc/<pid>/stat line; the command name (field 2) may hold spaces, so the
// fields are counted from its closing parenthesis.
func parseStatCPU(data []byte) (float64, error) {
	end := bytes.LastIndexByte(data, ')')
	if end < 0 {
		return 0, fmt.Errorf("malformed stat line %q", data)
	}
	fields := strings.Fields(string(data[end+1:]))
	// fields[0] is field 3 (state), so utime (14) is fields[11].
	if len(fields) < 13 {
		return 0, fmt.Errorf("stat line has %d fields after the command", len(fields))
	}
	utime, err1 := strconv.ParseUint(fields[11], 10, 64)
	stime, err2 := strconv.ParseUint(fields[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("parsing utime %q, stime %q", fields[11], fields[12])
	}
	return float64(utime+stime) / clockTicks, nil
}

// Memory is a process's resident set: now (VmRSS) and at its peak (VmHWM),
// in bytes.
type Memory struct {
	RSS, Peak int64
}

func readMemory(pid int) (Memory, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return Memory{}, err
	}
	return parseStatusMemory(data)
}

func parseStatusMemory(data []byte) (Memory, error) {
	var m Memory
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		key, val, ok := strings.Cut(sc.Text(), ":")
		if !ok || (key != "VmRSS" && key != "VmHWM") {
			continue
		}
		f := strings.Fields(val)
		if len(f) != 2 || f[1] != "kB" {
			return m, fmt.Errorf("%s: unexpected value %q", key, val)
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return m, err
		}
		if key == "VmRSS" {
			m.RSS = kb << 10
		} else {
			m.Peak = kb << 10
		}
	}
	if m.RSS == 0 {
		return m, fmt.Errorf("no VmRSS in status")
	}
	return m, nil
}

// cpuSample maps process names to CPU seconds.
type cpuSample map[string]float64

func sampleCPU(procs []Process) (cpuSample, error) {
	s := make(cpuSample, len(procs))
	for _, p := range procs {
		v, err := cpuSeconds(p.PID)
		if err != nil {
			return nil, fmt.Errorf("CPU time of %s (pid %d): %w", p.Name, p.PID, err)
		}
		s[p.Name] = v
	}
	return s, nil
}

// perThousand returns the CPU seconds each process spent between before and
// after, per 1000 operations.
func perThousand(before, after cpuSample, ops int) map[string]float64 {
	if before == nil || after == nil || ops == 0 {
		return nil
	}
	out := make(map[string]float64, len(after))
	for name, v := range after {
		out[name] = (v - before[name]) * 1000 / float64(ops)
	}
	return out
}

// MemoryReading is the memory of the processes at a point of the run.
type MemoryReading struct {
	// Label says when: "start", "(a) filled to 5k", "all filled to 5k, settled".
	Label string
	Procs map[string]Memory
	// CPURate is, for a reading taken after a quiet wait, the CPU seconds
	// per second each process spent during the wait (its background work).
	CPURate map[string]float64
}

func sampleMemory(label string, procs []Process) (MemoryReading, error) {
	r := MemoryReading{Label: label, Procs: map[string]Memory{}}
	for _, p := range procs {
		if p.Name != ProcKubeAPIServer && p.Name != ProcWorkloadsAPIServer {
			continue
		}
		m, err := readMemory(p.PID)
		if err != nil {
			return r, fmt.Errorf("memory of %s (pid %d): %w", p.Name, p.PID, err)
		}
		r.Procs[p.Name] = m
	}
	return r, nil
}
