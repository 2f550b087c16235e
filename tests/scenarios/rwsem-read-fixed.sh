# SPDX-License-Identifier: GPL-2.0
# deadlock_rwsem fixed=1: deadlock_reader holds map_lock for read while
# deadlock_writer queues for write, as in rwsem-read, but find_vma_locked()
# gets the held read and takes nothing. Expect both threads to finish and
# idle, lockdep silent (debug_locks 1) and a clean unload.
hung_task_fast 1 2

check insmod "insmod deadlock_rwsem $LAB_PARAMS succeeds" load
wait_log 10 "deadlock_writer: finished 1 rounds"
check both-idle "deadlock_reader and deadlock_writer idle in S" wait_until 5 tasks_in_state S deadlock_reader deadlock_writer
show_threads deadlock_reader deadlock_writer
lockdep_state "after the rounds" "map_lock"
check lockdep-still-on "lockdep is still on (debug_locks 1)" debug_locks_is 1
check knows-map-lock "lockdep knows map_lock" lockdep_classes_is map_lock 1
check rmmod "rmmod succeeds within 2 s" rmmod_within 2 deadlock_rwsem
check both-gone "deadlock_reader and deadlock_writer are gone" tasks_gone deadlock_reader deadlock_writer
finish
