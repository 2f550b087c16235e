// SPDX-License-Identifier: GPL-2.0
/*
 * modload: load a kernel module once.
 *
 * usage: modload MODULE.ko [PARAM=VALUE...]
 *
 * Calls finit_module() once with the parameters joined by spaces, and prints
 * "modload MODULE.ko: loaded" or "modload MODULE.ko: refused, errno E". busybox's
 * insmod tries twice when the kernel refuses a module (finit_module, then
 * init_module with the file's contents), so each refused load ran the
 * module's init twice; the parameter checks load many modules that must be
 * refused. Exits 0 if the module loaded, 1 if not, 2 on a usage error. Built
 * with the kernel's nolibc (tools/include/nolibc), like the rest of the
 * guest's own tools.
 */

static char params[4096];

int main(int argc, char **argv)
{
	size_t used = 0;
	long ret;
	int fd;

	if (argc < 2) {
		fprintf(stderr, "usage: modload MODULE.ko [PARAM=VALUE...]\n");
		return 2;
	}
	for (int i = 2; i < argc; i++) {
		size_t n = strlen(argv[i]);

		if (used + n + 2 > sizeof(params)) {
			fprintf(stderr, "modload: parameters too long\n");
			return 2;
		}
		if (used)
			params[used++] = ' ';
		memcpy(params + used, argv[i], n);
		used += n;
	}
	fd = open(argv[1], O_RDONLY, 0);
	if (fd < 0) {
		printf("modload %s: cannot open it, errno %d\n", argv[1], errno);
		return 1;
	}
	ret = syscall(__NR_finit_module, fd, params, 0);
	if (ret < 0) {
		printf("modload %s: refused, errno %d\n", argv[1], errno);
		return 1;
	}
	printf("modload %s: loaded\n", argv[1]);
	return 0;
}
