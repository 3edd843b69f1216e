package soak

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// ProcSample reads a process's RSS, open descriptors and UDP sockets from
// /proc (Linux). goroutines is supplied by the caller (runtime.NumGoroutine
// in-process, GetNodeInfo for a node process).
func ProcSample(pid int, goroutines int) (Sample, error) {
	s := Sample{At: time.Now(), Goroutines: goroutines}
	rss, err := readRSS(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return s, err
	}
	s.RSSBytes = rss
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return s, err
	}
	s.FDs = len(entries)
	udp, err := udpInodes()
	if err != nil {
		return s, err
	}
	for _, e := range entries {
		link, err := os.Readlink(filepath.Join(dir, e.Name()))
		if err != nil {
			continue // closed meanwhile
		}
		if ino, ok := strings.CutPrefix(link, "socket:["); ok && udp[strings.TrimSuffix(ino, "]")] {
			s.UDPSockets++
		}
	}
	return s, nil
}

func readRSS(path string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("parse VmRSS %q: %w", v, err)
			}
			return kb * 1024, nil
		}
	}
	return 0, fmt.Errorf("no VmRSS in %s", path)
}

// udpInodes lists the socket inodes of every UDP socket on the host.
func udpInodes() (map[string]bool, error) {
	out := map[string]bool{}
	for _, p := range []string{"/proc/net/udp", "/proc/net/udp6"} {
		b, err := os.ReadFile(p)
		if err != nil {
			if os.IsNotExist(err) {
				continue
			}
			return nil, err
		}
		lines := strings.Split(string(b), "\n")
		for _, l := range lines[min(1, len(lines)):] {
			f := strings.Fields(l)
			if len(f) > 9 {
				out[f[9]] = true
			}
		}
	}
	return out, nil
}
