package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// procStat is what the bench reads about a process from /proc.
type procStat struct {
	// CPU is user + system time.
	CPU time.Duration
	// RSS is the resident set size in bytes.
	RSS int64
}

var errProcFormat = errors.New("unexpected /proc format")

// parseStatCPU returns utime+stime, in clock ticks, from the text of
// /proc/<pid>/stat. The command name (field 2) may contain spaces and
// parentheses, so fields are counted after its last ')'.
func parseStatCPU(stat string) (ticks uint64, err error) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, errProcFormat
	}
	f := strings.Fields(stat[i+1:])
	// f[0] is field 3 (state); utime and stime are fields 14 and 15.
	if len(f) < 13 {
		return 0, errProcFormat
	}
	u, err := strconv.ParseUint(f[11], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("utime: %w", err)
	}
	s, err := strconv.ParseUint(f[12], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("stime: %w", err)
	}
	return u + s, nil
}

// parseStatusRSS returns VmRSS in bytes from the text of /proc/<pid>/status.
func parseStatusRSS(status string) (int64, error) {
	sc := bufio.NewScanner(strings.NewReader(status))
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "VmRSS:") {
			continue
		}
		f := strings.Fields(line[len("VmRSS:"):])
		if len(f) < 1 {
			return 0, errProcFormat
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("VmRSS: %w", err)
		}
		if len(f) > 1 && f[1] != "kB" {
			return 0, fmt.Errorf("VmRSS unit %q: %w", f[1], errProcFormat)
		}
		return kb * 1024, nil
	}
	return 0, fmt.Errorf("no VmRSS: %w", errProcFormat)
}

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat times.
func clockTicks() int64 {
	out, err := exec.Command("getconf", "CLK_TCK").Output()
	if err == nil {
		if n, err := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64); err == nil && n > 0 {
			return n
		}
	}
	return 100 // what Linux uses on every common architecture
}

// readProc samples process pid.
func readProc(pid int, hz int64) (procStat, error) {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return procStat{}, err
	}
	ticks, err := parseStatCPU(string(stat))
	if err != nil {
		return procStat{}, err
	}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return procStat{}, err
	}
	rss, err := parseStatusRSS(string(status))
	if err != nil {
		return procStat{}, err
	}
	return procStat{CPU: time.Duration(ticks) * time.Second / time.Duration(hz), RSS: rss}, nil
}

// selfCPU is the generator's own user + system time (getrusage has
// microsecond resolution, finer than /proc's ticks).
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// parseBoxBusy returns the ticks all CPUs spent busy (everything but idle
// and iowait) from the text of /proc/stat.
func parseBoxBusy(stat string) (uint64, error) {
	line, _, _ := strings.Cut(stat, "\n")
	f := strings.Fields(line)
	if len(f) < 5 || f[0] != "cpu" {
		return 0, errProcFormat
	}
	var busy uint64
	// user nice system idle iowait irq softirq steal (guest time is
	// already counted in user and nice).
	for i, s := range f[1:min(len(f), 9)] {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/stat: %w", err)
		}
		if i != 3 && i != 4 {
			busy += v
		}
	}
	return busy, nil
}

// boxBusy is the CPU time every process on the machine used so far.
func boxBusy(hz int64) (time.Duration, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, err
	}
	ticks, err := parseBoxBusy(string(b))
	if err != nil {
		return 0, err
	}
	return time.Duration(ticks) * time.Second / time.Duration(hz), nil
}
