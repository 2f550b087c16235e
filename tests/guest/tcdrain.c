// SPDX-License-Identifier: GPL-2.0
/*
 * tcdrain: wait until a terminal has sent everything written to it.
 *
 * usage: tcdrain DEVICE
 *
 * The guest's protocol line is a serial port whose driver sends from a
 * buffer, by interrupt: a line written just before the kernel panics may
 * still sit there. TCSBRK with a non-zero argument is tcdrain(3): it returns
 * once the output queue and the transmitter are empty. Built with the
 * kernel's nolibc (tools/include/nolibc), like the rest of the guest's own
 * tools.
 */

#include <sys/ioctl.h>

#ifndef TCSBRK
#define TCSBRK 0x5409
#endif

int main(int argc, char **argv)
{
	int fd;

	if (argc != 2) {
		fprintf(stderr, "usage: tcdrain DEVICE\n");
		return 2;
	}
	fd = open(argv[1], O_WRONLY | O_NOCTTY);
	if (fd < 0) {
		fprintf(stderr, "tcdrain: cannot open %s\n", argv[1]);
		return 1;
	}
	if (ioctl(fd, TCSBRK, 1) < 0) {
		fprintf(stderr, "tcdrain: TCSBRK on %s failed\n", argv[1]);
		return 1;
	}
	return 0;
}
