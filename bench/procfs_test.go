package main

import (
	"errors"
	"testing"
)

func TestParseStatCPU(t *testing.T) {
	tests := []struct {
		name, stat string
		want       uint64
		wantErr    bool
	}{
		{
			name: "plain",
			stat: "4242 (sfu) S 1 4242 4242 0 -1 4194560 1234 0 0 0 731 219 0 0 20 0 9 0 123456 1234567 890 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0",
			want: 731 + 219,
		},
		{
			name: "command with spaces and parentheses",
			stat: "77 (a (b) c) R 1 77 77 0 -1 0 0 0 0 0 5 6 0 0 20 0 1 0 1 1 1",
			want: 11,
		},
		{name: "no command", stat: "77 sfu R 1", wantErr: true},
		{name: "truncated", stat: "77 (sfu) R 1 2 3", wantErr: true},
		{name: "not a number", stat: "77 (sfu) R 1 77 77 0 -1 0 0 0 0 0 x 6 0", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseStatCPU(tc.stat)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if got != tc.want {
				t.Fatalf("got %d ticks, want %d", got, tc.want)
			}
		})
	}
}

func TestParseStatusRSS(t *testing.T) {
	const status = "Name:\tsfu\nUmask:\t0022\nState:\tS (sleeping)\nVmPeak:\t 1300000 kB\nVmRSS:\t   45312 kB\nRssAnon:\t   30000 kB\nThreads:\t9\n"
	got, err := parseStatusRSS(status)
	if err != nil {
		t.Fatal(err)
	}
	if got != 45312*1024 {
		t.Fatalf("got %d bytes, want %d", got, 45312*1024)
	}
	for _, bad := range []string{"Name:\tsfu\n", "VmRSS:\n", "VmRSS:\t12 MB\n", "VmRSS:\tlots kB\n"} {
		if _, err := parseStatusRSS(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
	if _, err := parseStatusRSS("VmRSS:\t12 MB\n"); !errors.Is(err, errProcFormat) {
		t.Errorf("unit error %v does not wrap errProcFormat", err)
	}
}

func TestMachineFields(t *testing.T) {
	const cpuinfo = "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 7B13\nflags\t\t: fpu vme\n\nprocessor\t: 1\nmodel name\t: AMD EPYC 7B13\n"
	if got := cpuinfoField(cpuinfo, "model name"); got != "AMD EPYC 7B13" {
		t.Errorf("model name %q", got)
	}
	if got := cpuinfoField(cpuinfo, "missing"); got != "" {
		t.Errorf("missing field %q", got)
	}
	if got := memTotal("24684092 kB"); got != "23.5 GiB" {
		t.Errorf("memTotal %q", got)
	}
	if got := memTotal("odd"); got != "odd" {
		t.Errorf("memTotal of an odd value %q", got)
	}
}

func TestParseBoxBusy(t *testing.T) {
	const stat = "cpu  100 5 50 1000 20 3 2 1 0 0\ncpu0 50 2 25 500 10 1 1 0 0 0\nintr 1 2 3\n"
	got, err := parseBoxBusy(stat)
	if err != nil {
		t.Fatal(err)
	}
	if want := uint64(100 + 5 + 50 + 3 + 2 + 1); got != want {
		t.Errorf("busy %d, want %d", got, want)
	}
	for _, bad := range []string{"", "cpu0 1 2 3 4 5\n", "cpu 1 x 3 4 5\n"} {
		if _, err := parseBoxBusy(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}
