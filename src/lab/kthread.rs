// SPDX-License-Identifier: GPL-2.0

//! Kernel threads that cannot outlive their owner.
//!
//! C header: [`include/linux/kthread.h`](srctree/include/linux/kthread.h)
//!
//! [`KThread::spawn`] starts a named kernel thread running a closure; dropping the [`KThread`]
//! stops the thread and waits until it has exited. A module that keeps its threads' handles in
//! its state therefore never unloads while one of them can still run its code.

use core::marker::PhantomData;
use core::ptr::NonNull;
use kernel::prelude::*;
use kernel::{bindings, ffi::c_void};

/// A running kernel thread, stopped and joined when dropped.
///
/// # Invariants
///
/// `task` is a kernel thread made by `kthread_create_on_node` on which this handle holds a
/// reference (`get_task_struct`), and which nobody else stops. Until the thread starts running
/// the closure, `data` owns the closure's box.
pub(crate) struct KThread {
    task: NonNull<bindings::task_struct>,
    data: *mut c_void,
    drop_data: unsafe fn(*mut c_void),
}

// SAFETY: The handle only stops and releases the thread, which any task may do.
unsafe impl Send for KThread {}

// SAFETY: `&KThread` exposes nothing that needs synchronisation.
unsafe impl Sync for KThread {}

/// Proof that the code holding it runs in a [`KThread`], given to the thread's closure.
///
/// # Invariants
///
/// A `ThreadContext` exists only inside a kernel thread made by [`KThread::spawn`], made by its
/// trampoline, and is neither [`Send`] nor [`Sync`]: it cannot leave that thread.
pub(crate) struct ThreadContext {
    _not_send: PhantomData<*mut ()>,
}

impl ThreadContext {
    /// Whether the owner of the [`KThread`] asked the thread to stop.
    pub(crate) fn should_stop(&self) -> bool {
        // SAFETY: A `ThreadContext` exists only inside a kernel thread made by `KThread::spawn`.
        unsafe { bindings::kthread_should_stop() }
    }

    /// Sleeps interruptibly (task state `S`, not `D`) for up to `ms` milliseconds, or until
    /// asked to stop.
    pub(crate) fn idle(&self, ms: u32) {
        if self.should_stop() {
            return;
        }
        // SAFETY: Sleeping is allowed in a kernel thread's own context. `kthread_stop` wakes the
        // thread; a wake-up lost between the check above and the sleep costs one timeout.
        unsafe {
            bindings::schedule_timeout_interruptible(
                kernel::ffi::c_long::try_from(kernel::time::msecs_to_jiffies(ms))
                    .unwrap_or(kernel::ffi::c_long::MAX),
            )
        };
    }
}

/// Sleeps interruptibly (task state `S`) for one tick: a moment's wait that the hung-task
/// detector does not take for a task stuck in `D`.
#[cfg(lab_gate)]
pub(crate) fn nap() {
    // SAFETY: Sleeping is allowed in a kernel thread's own context, which is where the lab's code
    // that waits runs; a wake-up only ends the sleep early.
    unsafe { bindings::schedule_timeout_interruptible(1) };
}

/// How long an idle thread sleeps between checks for a stop request, at most.
const IDLE_MS: u32 = 100;

impl KThread {
    /// Starts a kernel thread called `name` that runs `f`, on CPU `cpu` only if one is given.
    ///
    /// Binding is for demonstrations that need their threads on different CPUs at the same
    /// time, such as two threads spinning on each other's spinlock. When `f` returns, the thread
    /// idles interruptibly until the handle is dropped, as `kthread_stop()` expects of a kernel
    /// thread.
    pub(crate) fn spawn<F>(name: &CStr, cpu: Option<u32>, f: F) -> Result<Self>
    where
        F: FnOnce(&ThreadContext) + Send + 'static,
    {
        if cpu.is_some_and(|cpu| cpu >= kernel::cpu::nr_cpu_ids()) {
            return Err(EINVAL);
        }
        let data = KBox::into_raw(KBox::new(f, GFP_KERNEL)?).cast::<c_void>();
        // SAFETY: `trampoline::<F>` matches the thread function type; `data` is the box it
        // expects; the format string is "%s" with one C string argument.
        let task = unsafe {
            bindings::kthread_create_on_node(
                Some(trampoline::<F>),
                data,
                bindings::NUMA_NO_NODE,
                c"%s".as_char_ptr(),
                name.as_char_ptr(),
            )
        };
        if let Err(e) = kernel::error::from_err_ptr(task) {
            // SAFETY: The thread was not created, so the box is still ours.
            drop(unsafe { KBox::from_raw(data.cast::<F>()) });
            return Err(e);
        }
        if let Some(cpu) = cpu {
            // SAFETY: `task` is a new kernel thread that has not been woken yet, as
            // `kthread_bind` requires, and `cpu` is below `nr_cpu_ids`.
            unsafe { bindings::kthread_bind(task, cpu) };
        }
        // SAFETY: `task` is a valid new kernel thread; the reference keeps its `task_struct`
        // alive until `kthread_stop_put` in `drop`, however early the thread exits.
        unsafe {
            bindings::get_task_struct(task);
            bindings::wake_up_process(task);
        }
        // INVARIANT: `task` is a kernel thread we hold a reference on; `data` owns the box until
        // the trampoline takes it.
        Ok(Self {
            // SAFETY: `from_err_ptr` accepted `task`, and it is not NULL.
            task: unsafe { NonNull::new_unchecked(task) },
            data,
            drop_data: drop_box::<F>,
        })
    }

    /// The thread's PID.
    pub(crate) fn pid(&self) -> i32 {
        // Not `(*task).pid`: with CONFIG_SCHEDSTATS=n, bindgen misplaces every `task_struct`
        // field after the empty, cache-line aligned `stats`, and reads garbage there.
        // SAFETY: By the type invariant the `task_struct` is alive.
        unsafe {
            bindings::__task_pid_nr_ns(
                self.task.as_ptr(),
                bindings::pid_type_PIDTYPE_PID,
                core::ptr::null_mut(),
            )
        }
    }
}

impl Drop for KThread {
    fn drop(&mut self) {
        // SAFETY: By the type invariant we hold a reference on a kernel thread that nobody else
        // stops. `kthread_stop_put` wakes it, waits until it has exited and drops the reference.
        let ret = unsafe { bindings::kthread_stop_put(self.task.as_ptr()) };
        if ret == -(bindings::EINTR as i32) {
            // SAFETY: `-EINTR` means the thread was stopped before it ran the trampoline (which
            // itself always returns 0), so the box was never taken and is freed here, once.
            unsafe { (self.drop_data)(self.data) };
        }
    }
}

/// Frees a closure box that never reached its thread.
///
/// # Safety
///
/// `data` must come from `KBox::<F>::into_raw` and must not be used afterwards.
unsafe fn drop_box<F>(data: *mut c_void) {
    // SAFETY: Guaranteed by the caller.
    drop(unsafe { KBox::from_raw(data.cast::<F>()) });
}

/// The C entry point of every [`KThread`]: runs the closure, then idles until stopped.
///
/// # Safety
///
/// `data` must come from `KBox::<F>::into_raw`, handed over by `KThread::spawn`.
unsafe extern "C" fn trampoline<F>(data: *mut c_void) -> kernel::ffi::c_int
where
    F: FnOnce(&ThreadContext) + Send + 'static,
{
    // SAFETY: Guaranteed by the caller; from here on the box belongs to this thread.
    let f = unsafe { KBox::from_raw(data.cast::<F>()) };
    // INVARIANT: This is the thread `KThread::spawn` made, running its closure.
    let ctx = ThreadContext {
        _not_send: PhantomData,
    };
    KBox::into_inner(f)(&ctx);
    while !ctx.should_stop() {
        ctx.idle(IDLE_MS);
    }
    // A kernel thread must not end holding a lock. Lockdep checks that in `do_exit()`, but only
    // after `kthread_stop()` has returned to the owner, whose module may be unloaded by the time
    // the report is printed: it would race the unload and could name freed code. The same check
    // here, while the thread still runs module code, reports it with the module's symbols.
    #[cfg(CONFIG_LOCKDEP)]
    // SAFETY: The check only reads the current task's held-lock records.
    unsafe {
        bindings::debug_check_no_locks_held()
    };
    0
}
