package udpbatch

import (
	"net"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// mmsghdr is struct mmsghdr of sendmmsg(2); Go pads it to the alignment of
// Msghdr as C does.
type mmsghdr struct {
	hdr unix.Msghdr
	len uint32
}

// batchSys is the kernel's view of a batch: one message header, iovec and
// IPv4 socket address per slot, preallocated and pointing into the batch.
type batchSys struct {
	hdrs  []mmsghdr
	iovs  []unix.Iovec
	names []unix.RawSockaddrInet4
	// Arguments and results of one sendmmsg call, set around rawConn.Write
	// so that the callback is a method value made once (no allocation).
	off, count, sent int
	errno            syscall.Errno
	call             func(fd uintptr) bool
}

func (s *batchSys) init(b *batch) {
	size := len(b.lens)
	s.hdrs = make([]mmsghdr, size)
	s.iovs = make([]unix.Iovec, size)
	s.names = make([]unix.RawSockaddrInet4, size)
	for i := range size {
		s.iovs[i].Base = &b.slot(i)[0]
		h := &s.hdrs[i].hdr
		h.Name = (*byte)(unsafe.Pointer(&s.names[i]))
		h.Namelen = unix.SizeofSockaddrInet4
		h.Iov = &s.iovs[i]
		h.SetIovlen(1)
	}
	s.call = s.sendmmsg
}

// set fills slot i's iovec length and address (IPv4: add's caller checks).
func (s *batchSys) set(b *batch, i int) {
	s.iovs[i].SetLen(b.lens[i])
	a := b.addrs[i]
	n := &s.names[i]
	n.Family = unix.AF_INET
	port := a.Port()
	pp := (*[2]byte)(unsafe.Pointer(&n.Port)) // network byte order in memory
	pp[0], pp[1] = byte(port>>8), byte(port)
	n.Addr = a.Addr().As4()
}

// sendmmsg is the rawConn.Write callback: one sendmmsg of the slots from off
// on. It returns false to wait for the socket to be writable.
func (s *batchSys) sendmmsg(fd uintptr) bool {
	for {
		n, _, e := unix.Syscall6(unix.SYS_SENDMMSG, fd, uintptr(unsafe.Pointer(&s.hdrs[s.off])), uintptr(len(s.hdrs[s.off:s.count])), 0, 0, 0)
		switch e {
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			return false
		}
		s.sent, s.errno = int(n), e
		return true
	}
}

type mmsgSender struct{ raw syscall.RawConn }

func newSender(conn *net.UDPConn) (sender, error) {
	raw, err := conn.SyscallConn()
	if err != nil {
		return nil, err
	}
	return &mmsgSender{raw: raw}, nil
}

func (m *mmsgSender) send(b *batch) (sent, failed int) {
	s := &b.sys
	s.count = b.n
	for s.off = 0; s.off < b.n; {
		s.sent, s.errno = 0, 0
		if err := m.raw.Write(s.call); err != nil {
			// The socket is closed: nothing more can leave.
			return sent, failed + b.n - s.off
		}
		if s.errno != 0 || s.sent <= 0 {
			// sendmmsg fails only on the first message it tries: drop
			// that one and go on with the rest.
			failed++
			s.off++
			continue
		}
		sent += s.sent
		s.off += s.sent
	}
	return sent, failed
}
