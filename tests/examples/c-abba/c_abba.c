// SPDX-License-Identifier: GPL-2.0
/*
 * c_abba: the ABBA deadlock in C, a module from outside the lab, run and
 * judged through `make test MODULE_DIR=tests/examples/c-abba`.
 *
 * Thread A takes sem1 then sem2; thread B takes sem2 then sem1 (fixed=0),
 * or sem1 then sem2 (fixed=1). With the inverted order each thread takes its
 * first semaphore and waits until the other holds its own before reaching
 * for the second, so the two deadlock on every load. The semaphores carry
 * lockdep maps of their own, as the kernel's console_sem does, so that
 * lockdep sees their order. Unloading always works: the exit path gives
 * each semaphore two units back (a semaphore has no owner), which wakes the
 * stuck threads, before it stops them.
 */
#include <linux/atomic.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/lockdep.h>
#include <linux/module.h>
#include <linux/sched/task.h>
#include <linux/semaphore.h>

static int fixed;
module_param(fixed, int, 0444);
MODULE_PARM_DESC(fixed, "Lock order of thread B: 0 = sem2 then sem1, which deadlocks; 1 = sem1 then sem2 (allowed 0..=1)");

static DEFINE_SEMAPHORE(sem1, 1);
static DEFINE_SEMAPHORE(sem2, 1);

#ifdef CONFIG_DEBUG_LOCK_ALLOC
/*
 * A semaphore is a sleeping lock: its maps say so, as mutex.h's and rwsem.h's
 * static initialisers do. STATIC_LOCKDEP_MAP_INIT leaves wait_type_inner at
 * 0 (LD_WAIT_INV), for which lockdep skips its wait-context checks, so that
 * taking one of these while holding a spinlock would go unreported.
 */
#define SLEEPING_LOCKDEP_MAP_INIT(_name, _key) \
	{ .name = (_name), .key = (void *)(_key), .wait_type_inner = LD_WAIT_SLEEP }
static struct lock_class_key key1, key2;
static struct lockdep_map map1 = SLEEPING_LOCKDEP_MAP_INIT("c_sem1", &key1);
static struct lockdep_map map2 = SLEEPING_LOCKDEP_MAP_INIT("c_sem2", &key2);
#define MAP(m) (&(m))
#else
#define MAP(m) NULL
#endif

/* Threads that hold their first semaphore, for the rendezvous. */
static atomic_t holding = ATOMIC_INIT(0);
static struct task_struct *thread_a, *thread_b;

static void take(struct semaphore *sem, struct lockdep_map *map)
{
	/* Told to lockdep before the wait, so that an inversion is reported even if it hangs. */
	if (map)
		lock_acquire_exclusive(map, 0, 0, NULL, _RET_IP_);
	down(sem);
}

static void give(struct semaphore *sem, struct lockdep_map *map)
{
	if (map)
		lock_release(map, _RET_IP_);
	up(sem);
}

static int run(void *data)
{
	bool b = data != NULL;
	bool inverted = b && !fixed;
	struct semaphore *first = inverted ? &sem2 : &sem1, *second = inverted ? &sem1 : &sem2;
	struct lockdep_map *first_map = inverted ? MAP(map2) : MAP(map1);
	struct lockdep_map *second_map = inverted ? MAP(map1) : MAP(map2);
	const char *me = b ? "c_abba_b" : "c_abba_a";
	const char *second_name = inverted ? "c_sem1" : "c_sem2";
	int round;

	for (round = 0; round < 1000 && !kthread_should_stop(); round++) {
		take(first, first_map);
		if (!fixed) {
			/* Meet the other thread, each holding its first semaphore. */
			atomic_inc(&holding);
			while (atomic_read(&holding) < 2 && !kthread_should_stop())
				schedule_timeout_interruptible(1);
			/* In the form the lab's wait-for graph reads: TASK: waiting for LOCK. */
			pr_info("c_abba: %s: waiting for %s\n", me, second_name);
		}
		take(second, second_map);
		give(second, second_map);
		give(first, first_map);
		if (!fixed)
			break;
	}
	pr_info("c_abba: %s: done after %d round(s)\n", me, round);
	/* Idle interruptibly (S, not D) until stopped. */
	while (!kthread_should_stop())
		schedule_timeout_interruptible(HZ / 10);
	return 0;
}

static int __init c_abba_init(void)
{
	if (fixed < 0 || fixed > 1) {
		pr_err("c_abba: invalid parameter: fixed=%d, allowed range 0..=1\n", fixed);
		return -EINVAL;
	}
	pr_info("c_abba: thread B takes %s (fixed=%d)\n", fixed ? "sem1 then sem2" : "sem2 then sem1", fixed);
	/*
	 * Create, take a reference, and only then wake: a thread that runs may
	 * exit, and kthread_stop() must not meet a task_struct already freed.
	 * Neither thread runs before both exist, so a failure stops threads
	 * that never ran (kthread_stop() then returns -EINTR).
	 */
	thread_a = kthread_create(run, NULL, "c_abba_a");
	if (IS_ERR(thread_a))
		return PTR_ERR(thread_a);
	get_task_struct(thread_a);
	thread_b = kthread_create(run, (void *)1, "c_abba_b");
	if (IS_ERR(thread_b)) {
		kthread_stop_put(thread_a);
		return PTR_ERR(thread_b);
	}
	get_task_struct(thread_b);
	wake_up_process(thread_a);
	wake_up_process(thread_b);
	return 0;
}

static void __exit c_abba_exit(void)
{
	if (!fixed) {
		pr_info("c_abba: unloading: up() twice on sem1 and on sem2 from the exit path\n");
		up(&sem1);
		up(&sem1);
		up(&sem2);
		up(&sem2);
	}
	kthread_stop_put(thread_a);
	kthread_stop_put(thread_b);
	pr_info("c_abba: unloaded\n");
}

module_init(c_abba_init);
module_exit(c_abba_exit);
MODULE_DESCRIPTION("The ABBA deadlock in C, and its fix: an outside module for deadlock-lab");
MODULE_LICENSE("GPL");
