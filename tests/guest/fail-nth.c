// SPDX-License-Identifier: GPL-2.0
/*
 * fail-nth: load a kernel module with its Nth fault-injection point failing.
 *
 * usage: fail-nth N MODULE.ko [PARAMS]
 *        fail-nth --sweep MODULE.ko [PARAMS]
 *
 * Writes N to /proc/self/fail-nth, the kernel's systematic fault injection
 * (Documentation/fault-injection/fault-injection.rst, "Systematic faults
 * using fail-nth"): the Nth call in this task to a fault-injection point,
 * such as failslab's kmalloc hook, fails. Then calls finit_module() itself,
 * so that no other work of this task (a shell's exec, say) uses up the count,
 * and reads fail-nth back (from a fresh open: the file has no seek): 0 means
 * the fault was injected. Prints one line, "fail-nth N: fault injected|no
 * fault: finit_module returned R (errno E)", and exits 0 if the module
 * loaded, 1 if not.
 *
 * --sweep does the same for N = 1, 2, ... until a load meets no fault, as
 * syzkaller's fail-nth does: every load that met its fault must fail and
 * leave the module unloaded (a load that survived its fault is unloaded),
 * and the last load must succeed; it is unloaded too. Prints one line per
 * failure point that was not refused cleanly, then "fail-nth sweep MODULE:
 * P failure points, U not refused cleanly, the load without a fault
 * succeeded|failed (errno E)", and exits 0 only if all is well.
 *
 * Exit status 2: a usage error. Built with the kernel's nolibc
 * (tools/include/nolibc).
 */

#define SWEEP_MAX 1000

static int write_str(int fd, const char *s)
{
	return write(fd, s, strlen(s));
}

/* Loads fd with its nth fault point failing; *injected says if it was hit. */
static long load_nth(int fd, const char *params, int nth, int *injected, int *err)
{
	char buf[32];
	long ret;
	int ctl, rd;

	ctl = open("/proc/self/fail-nth", O_WRONLY, 0);
	if (ctl < 0)
		return -2;
	itoa_r(nth, buf);
	if (write_str(ctl, buf) < 0) {
		close(ctl);
		return -2;
	}
	ret = syscall(__NR_finit_module, fd, params, 0);
	*err = ret < 0 ? errno : 0;
	memset(buf, 0, sizeof(buf));
	rd = open("/proc/self/fail-nth", O_RDONLY, 0);
	*injected = rd >= 0 && read(rd, buf, sizeof(buf) - 1) > 0 && atoi(buf) == 0;
	if (rd >= 0)
		close(rd);
	/* Disarm whatever is left, so that later work of this task is not hit. */
	write_str(ctl, "0");
	close(ctl);
	return ret;
}

/* Whether a module called name is listed in /proc/modules. */
static int loaded(const char *name)
{
	static char buf[16384];
	size_t n = strlen(name);
	ssize_t len;
	int fd = open("/proc/modules", O_RDONLY, 0);

	if (fd < 0)
		return 0;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len <= 0)
		return 0;
	buf[len] = 0;
	for (char *line = buf; *line; line = strchr(line, '\n') + 1) {
		if (!strncmp(line, name, n) && line[n] == ' ')
			return 1;
		if (!strchr(line, '\n'))
			break;
	}
	return 0;
}

/* The module's name, from its file's: ".../a_b.ko" -> "a_b". */
static void module_name(const char *path, char *name, size_t size)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	size_t n = strlen(base);

	if (n > 3 && !strcmp(base + n - 3, ".ko"))
		n -= 3;
	if (n >= size)
		n = size - 1;
	memcpy(name, base, n);
	name[n] = 0;
}

static int sweep(int fd, const char *path, const char *params)
{
	char name[64];
	int nth, injected, err, unclean = 0, points = 0;
	long ret = -1;

	module_name(path, name, sizeof(name));
	for (nth = 1; nth <= SWEEP_MAX; nth++) {
		ret = load_nth(fd, params, nth, &injected, &err);
		if (ret == -2) {
			printf("fail-nth: cannot use /proc/self/fail-nth (errno %d)\n", errno);
			return 2;
		}
		if (!injected)
			break;
		points = nth;
		if (ret == 0) {
			/* The failed allocation had a way around it: the load went on. */
			printf("fail-nth %d: the load survived the fault\n", nth);
			if (syscall(__NR_delete_module, name, O_NONBLOCK) != 0) {
				printf("fail-nth %d: cannot unload %s (errno %d)\n", nth, name, errno);
				unclean++;
			}
		} else if (loaded(name)) {
			printf("fail-nth %d: finit_module failed (errno %d) but %s is loaded\n", nth, err, name);
			unclean++;
		}
	}
	if (ret == 0 && syscall(__NR_delete_module, name, O_NONBLOCK) != 0) {
		printf("fail-nth: cannot unload %s after the load without a fault (errno %d)\n", name, errno);
		unclean++;
	}
	printf("fail-nth sweep %s: %d failure points, %d not refused cleanly, the load without a fault %s (errno %d)\n",
	       name, points, unclean, ret == 0 ? "succeeded" : "failed", ret == 0 ? 0 : err);
	return points > 0 && unclean == 0 && ret == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	int is_sweep = argc > 1 && !strcmp(argv[1], "--sweep");
	const char *path = argc > 2 ? argv[2] : "";
	const char *params = argc > 3 ? argv[3] : "";
	int mod, injected, err;
	long ret;

	if (argc < 3) {
		write_str(2, "usage: fail-nth N|--sweep MODULE.ko [PARAMS]\n");
		return 2;
	}
	mod = open(path, O_RDONLY, 0);
	if (mod < 0) {
		printf("fail-nth: cannot open %s (errno %d)\n", path, errno);
		return 2;
	}
	if (is_sweep)
		return sweep(mod, path, params);
	ret = load_nth(mod, params, atoi(argv[1]), &injected, &err);
	if (ret == -2) {
		printf("fail-nth: cannot use /proc/self/fail-nth (errno %d): no CONFIG_FAULT_INJECTION?\n",
		       errno);
		return 2;
	}
	printf("fail-nth %s: %s: finit_module returned %ld (errno %d)\n", argv[1],
	       injected ? "fault injected" : "no fault", ret, err);
	return ret == 0 ? 0 : 1;
}
