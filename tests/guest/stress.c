// SPDX-License-Identifier: GPL-2.0
/*
 * stress: keep the guest's CPUs and memory busy while a scenario runs.
 *
 * usage: stress CPU_WORKERS MEM_WORKERS MEM_MIB SECONDS
 *
 * CPU workers spin; memory workers map MEM_MIB of anonymous memory, write to
 * every page, unmap it, and start again, so that the page allocator and the
 * reclaim paths are busy. Every worker stops after SECONDS, or as soon as
 * this process is gone (kill it to stop them all). Built with the kernel's
 * nolibc (tools/include/nolibc), like the rest of the guest's own tools.
 */

#define PAGE 4096

static void cpu_worker(pid_t parent, time_t until)
{
	volatile unsigned long n = 0;

	while (getppid() == parent && time(NULL) < until)
		for (int i = 0; i < 100000; i++)
			n++;
}

static void memory_worker(pid_t parent, time_t until, size_t bytes)
{
	unsigned long pages = 0;

	while (getppid() == parent && time(NULL) < until) {
		char *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			continue;
		for (size_t off = 0; off < bytes; off += PAGE, pages++)
			p[off] = (char)off;
		munmap(p, bytes);
	}
	printf("stress: a memory worker wrote %lu pages\n", pages);
}

int main(int argc, char **argv)
{
	int cpus, mems, mib, secs;
	pid_t parent = getpid();
	time_t until;

	if (argc != 5) {
		printf("usage: stress CPU_WORKERS MEM_WORKERS MEM_MIB SECONDS\n");
		return 2;
	}
	cpus = atoi(argv[1]);
	mems = atoi(argv[2]);
	mib = atoi(argv[3]);
	secs = atoi(argv[4]);
	until = time(NULL) + secs;
	printf("stress: %d cpu and %d memory workers of %d MiB, for %d s at most\n",
	       cpus, mems, mib, secs);
	for (int i = 0; i < cpus + mems; i++) {
		pid_t pid = fork();

		if (pid < 0) {
			printf("stress: fork failed (errno %d)\n", errno);
			return 1;
		}
		if (pid == 0) {
			if (i < cpus)
				cpu_worker(parent, until);
			else
				memory_worker(parent, until, (size_t)mib << 20);
			return 0;
		}
	}
	while (wait(NULL) > 0)
		;
	return 0;
}
