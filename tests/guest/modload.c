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
 * refused. Then it prints what the kernel logged meanwhile, a line
 * "kernel: TEXT" per record of /dev/kmsg, so that the caller needs no
 * dmesg of its own. Exits 0 if the module loaded, 1 if not, 2 on a usage error. Built
 * with the kernel's nolibc (tools/include/nolibc), like the rest of the
 * guest's own tools.
 */

#ifndef SEEK_END
#define SEEK_END 2
#endif

static char params[4096];
static char record[8192];

/* Prints each /dev/kmsg record from KMSG's position on: "kernel: TEXT". */
static void print_kernel_log(int kmsg)
{
	long n;

	if (kmsg < 0)
		return;
	while ((n = read(kmsg, record, sizeof(record) - 1)) > 0) {
		char *text, *end;

		record[n] = 0;
		text = strchr(record, ';');
		if (!text)
			continue;
		text++;
		end = strchr(text, '\n');
		if (end)
			*end = 0;
		printf("kernel: %s\n", text);
	}
}

int main(int argc, char **argv)
{
	size_t used = 0;
	long ret;
	int fd, kmsg;

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
	kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK, 0);
	if (kmsg >= 0)
		lseek(kmsg, 0, SEEK_END);
	ret = syscall(__NR_finit_module, fd, params, 0);
	if (ret < 0)
		printf("modload %s: refused, errno %d\n", argv[1], errno);
	else
		printf("modload %s: loaded\n", argv[1]);
	print_kernel_log(kmsg);
	return ret < 0 ? 1 : 0;
}
