// SPDX-License-Identifier: GPL-2.0
/*
 * fail-nth: load a kernel module with its Nth fault-injection point failing.
 *
 * usage: fail-nth N MODULE.ko [PARAMS]
 *
 * Writes N to /proc/self/fail-nth, the kernel's systematic fault injection
 * (Documentation/fault-injection/fault-injection.rst, "Systematic faults
 * using fail-nth"): the Nth call in this task to a fault-injection point,
 * such as failslab's kmalloc hook, fails. Then calls finit_module() itself,
 * so that no other work of this task (a shell's exec, say) uses up the count,
 * and reads fail-nth back (from a fresh open: the file has no seek): 0 means
 * the fault was injected.
 *
 * Prints one line, "fail-nth N: fault injected|no fault: finit_module
 * returned R (errno E)", and exits 0 if the module loaded, 1 if not, 2 on a
 * usage error. Built with the kernel's nolibc (tools/include/nolibc).
 */

#define _GNU_SOURCE

static int write_str(int fd, const char *s)
{
	return write(fd, s, strlen(s));
}

int main(int argc, char **argv)
{
	char buf[32];
	long ret;
	int ctl, rd, mod, injected, err;

	if (argc < 3) {
		write_str(2, "usage: fail-nth N MODULE.ko [PARAMS]\n");
		return 2;
	}
	mod = open(argv[2], O_RDONLY, 0);
	if (mod < 0) {
		printf("fail-nth: cannot open %s (errno %d)\n", argv[2], errno);
		return 2;
	}
	ctl = open("/proc/self/fail-nth", O_RDWR, 0);
	if (ctl < 0) {
		printf("fail-nth: cannot open /proc/self/fail-nth (errno %d): no CONFIG_FAULT_INJECTION?\n",
		       errno);
		return 2;
	}
	if (write_str(ctl, argv[1]) < 0) {
		printf("fail-nth: cannot arm fail-nth %s (errno %d)\n", argv[1], errno);
		return 2;
	}
	ret = syscall(__NR_finit_module, mod, argc > 3 ? argv[3] : "", 0);
	err = ret < 0 ? errno : 0;
	/* Disarm whatever is left, so that the exit path is not hit. */
	memset(buf, 0, sizeof(buf));
	rd = open("/proc/self/fail-nth", O_RDONLY, 0);
	injected = rd >= 0 && read(rd, buf, sizeof(buf) - 1) > 0 && atoi(buf) == 0;
	write_str(ctl, "0");
	printf("fail-nth %s: %s: finit_module returned %ld (errno %d)\n", argv[1],
	       injected ? "fault injected" : "no fault", ret, err);
	return ret == 0 ? 0 : 1;
}
