package soak

import (
	"net"
	"os"
	"path/filepath"
	"testing"
)

func TestReadRSS(t *testing.T) {
	p := filepath.Join(t.TempDir(), "status")
	if err := os.WriteFile(p, []byte("Name:\tsfu\nVmPeak:\t  9000 kB\nVmRSS:\t  1234 kB\nThreads:\t9\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := readRSS(p)
	if err != nil || got != 1234*1024 {
		t.Fatalf("readRSS = %d, %v", got, err)
	}
	if err := os.WriteFile(p, []byte("Name:\tsfu\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := readRSS(p); err == nil {
		t.Error("missing VmRSS accepted")
	}
}

func TestProcSampleCountsUDPSockets(t *testing.T) {
	before, err := ProcSample(os.Getpid(), 0)
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	during, err := ProcSample(os.Getpid(), 0)
	if err != nil {
		t.Fatal(err)
	}
	_ = c.Close()
	if during.UDPSockets != before.UDPSockets+1 || during.FDs <= before.FDs || during.RSSBytes <= 0 {
		t.Errorf("before %+v, with one more UDP socket %+v", before, during)
	}
}
