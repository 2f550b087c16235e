# SPDX-License-Identifier: GPL-2.0
# deadlock_rwsem fixed=0: deadlock_reader holds map_lock for read and, once
# deadlock_writer sleeps queued in down_write(), takes it for read again.
# Expect lockdep's recursive-locking report and the hung-task detector's
# reports of both, the reader as a reader and the writer as a writer
# (judged on the host, with their stacks in the rwsem slow paths), both
# threads in D, and
# rmmod to recover by releasing the reader's first read once.
hung_task_fast 1 4

check lockdep-on-before "lockdep is on before the test (debug_locks 1)" debug_locks_is 1
check insmod "insmod deadlock_rwsem $LAB_PARAMS succeeds" load
wait_log 10 "deadlock_reader: reading map_lock again"
check both-in-d "deadlock_reader and deadlock_writer sleep in D state" wait_until 10 tasks_in_state D deadlock_reader deadlock_writer
show_threads deadlock_reader deadlock_writer
check reader-under-find-vma "deadlock_reader sleeps under find_vma(), called by page_fault()" stack_has deadlock_reader "deadlock_rwsem8find_vma+"
check writer-under-mmap "deadlock_writer sleeps under mmap()" stack_has deadlock_writer "deadlock_rwsem4mmap+"
wait_hung 30 deadlock_reader deadlock_writer
lockdep_state "while stuck" "map_lock"
check lockdep-turned-off "lockdep reported and turned itself off (debug_locks 0)" debug_locks_is 0
check knows-map-lock "lockdep knows map_lock" lockdep_classes_is map_lock 1
check rmmod "rmmod succeeds within 2 s" rmmod_within 2 deadlock_rwsem
check both-gone "deadlock_reader and deadlock_writer are gone" tasks_gone deadlock_reader deadlock_writer
check class-dropped "lockdep dropped map_lock on unload" lockdep_classes_is map_lock 0
finish
