// SPDX-License-Identifier: GPL-2.0
/*
 * c-spin: an ABBA deadlock on two spinlocks, in C, between two kernel
 * threads pinned to CPUs 0 and 1: a module from outside the lab, run through
 * `make test MODULE_DIR=tests/examples/c-spin`.
 *
 * Thread A takes lock_a then lock_b; thread B takes lock_b then lock_a
 * (fixed=0), or lock_a then lock_b (fixed=1). Nothing makes the two meet:
 * whether they do depends on how the two CPUs' work interleaves. When they
 * meet, each spins for the lock the other holds, with preemption off, and
 * neither CPU runs anything else again, the shell included: the guest locks
 * up, and only the soft-lockup watchdog still speaks. When they miss each
 * other, both finish, and lockdep, which saw both orders, reports the
 * inversion anyway. Its declaration allows both outcomes.
 *
 * The file's name has a '-', as many do: Kbuild builds c-spin.ko, whose
 * module name is c_spin. The parameter jiffies_at takes the address of
 * jiffies_64 from /proc/kallsyms ({kallsyms:jiffies_64} in the declaration),
 * which the module compares with the symbol's real address: a parameter the
 * guest learns only at boot.
 */
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/sched/task.h>
#include <linux/spinlock.h>

static int fixed;
module_param(fixed, int, 0444);
MODULE_PARM_DESC(fixed, "Lock order of thread B: 0 = lock_b then lock_a, which may lock up; 1 = lock_a then lock_b (allowed 0..=1)");

static int rounds = 1;
module_param(rounds, int, 0444);
MODULE_PARM_DESC(rounds, "Rounds each thread takes both locks (allowed 1..=100000)");

static int hold_us;
module_param(hold_us, int, 0444);
MODULE_PARM_DESC(hold_us, "Microseconds each thread holds its first lock before it takes the second (allowed 0..=10000)");

static unsigned long jiffies_at;
module_param(jiffies_at, ulong, 0444);
MODULE_PARM_DESC(jiffies_at, "The address of jiffies_64, as /proc/kallsyms gives it (allowed 0..=18446744073709551615)");

static DEFINE_SPINLOCK(lock_a);
static DEFINE_SPINLOCK(lock_b);
static struct task_struct *thread_a, *thread_b;

static int run(void *data)
{
	bool b = data != NULL;
	bool inverted = b && !fixed;
	spinlock_t *first = inverted ? &lock_b : &lock_a, *second = inverted ? &lock_a : &lock_b;
	const char *me = b ? "c_spin_b" : "c_spin_a";
	int round;

	for (round = 0; round < rounds && !kthread_should_stop(); round++) {
		spin_lock(first);
		udelay(hold_us);
		spin_lock(second);
		spin_unlock(second);
		spin_unlock(first);
		cond_resched();
	}
	pr_info("c_spin: %s: finished %d round(s)\n", me, round);
	/* Idle interruptibly (S, not D) until stopped. */
	while (!kthread_should_stop())
		schedule_timeout_interruptible(HZ / 10);
	return 0;
}

/* A thread bound to a CPU, referenced, not yet woken. */
static struct task_struct *make(void *data, unsigned int cpu, const char *name)
{
	struct task_struct *t = kthread_create(run, data, "%s", name);

	if (IS_ERR(t))
		return t;
	kthread_bind(t, cpu);
	get_task_struct(t);
	return t;
}

static int __init c_spin_init(void)
{
	if (fixed < 0 || fixed > 1 || rounds < 1 || rounds > 100000 || hold_us < 0 || hold_us > 10000) {
		pr_err("c_spin: invalid parameter: fixed=%d (allowed 0..=1), rounds=%d (1..=100000), hold_us=%d (0..=10000)\n",
		       fixed, rounds, hold_us);
		return -EINVAL;
	}
	if (jiffies_at)
		pr_info("c_spin: jiffies_at=%#lx: %s\n", jiffies_at,
			jiffies_at == (unsigned long)&jiffies_64 ? "the address of jiffies_64" : "NOT the address of jiffies_64");
	if (num_online_cpus() < 2) {
		pr_err("c_spin: needs two CPUs, has %u\n", num_online_cpus());
		return -ENODEV;
	}
	pr_info("c_spin: thread B takes %s (fixed=%d), %d round(s), holding %d us\n",
		fixed ? "lock_a then lock_b" : "lock_b then lock_a", fixed, rounds, hold_us);
	thread_a = make(NULL, 0, "c_spin_a");
	if (IS_ERR(thread_a))
		return PTR_ERR(thread_a);
	thread_b = make((void *)1, 1, "c_spin_b");
	if (IS_ERR(thread_b)) {
		kthread_stop_put(thread_a);
		return PTR_ERR(thread_b);
	}
	wake_up_process(thread_a);
	wake_up_process(thread_b);
	return 0;
}

static void __exit c_spin_exit(void)
{
	kthread_stop_put(thread_a);
	kthread_stop_put(thread_b);
	pr_info("c_spin: unloaded\n");
}

module_init(c_spin_init);
module_exit(c_spin_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("An ABBA deadlock on spinlocks between two pinned threads, which may or may not meet: an outside module for deadlock-lab");
