# SPDX-License-Identifier: GPL-2.0
# deadlock_irq fixed=1 seen through /proc/interrupts, as the article advises
# ("verify interrupt handler behavior"). The hrtimer whose callback takes
# stats_lock expires in the local APIC timer interrupt (LOC) of one CPU: that
# CPU's LOC count climbs by at least as many interrupts as the callback ran.
# That shows that a handler runs, and where; it cannot show that the handler
# takes a lock, or that a thread takes the same lock with interrupts on:
# that is lockdep's part (the irq scenario).

# tick_line CPU: the /proc/interrupts line of the CPU's timer: LOC, its local
# APIC timer; or IRQ 0 ("timer", the PIT) for the boot CPU if the kernel found
# that CPU's local APIC timer unreliable at boot ("APIC timer disabled due to
# verification failure", which a busy TCG host can cause): its tick then
# comes by broadcast from the PIT. The other CPUs keep their own.
tick_line() {
	if [ "$1" = 0 ] && dmesg | grep -q "APIC timer disabled due to verification failure"; then
		awk '$NF == "timer" { print $1 }' /proc/interrupts
	else
		echo LOC:
	fi
}
# ticks_of CPU LINE [FILE]: the interrupts of LINE on one CPU, in FILE (a copy
# of /proc/interrupts) or now.
ticks_of() { awk -v c=$(($1 + 2)) -v l="$2" '$1 == l { print $c }' "${3:-/proc/interrupts}"; }
grep -E '^ *(CPU|LOC|0):' /proc/interrupts | sed 's/^/#   /'
cp /proc/interrupts /tmp/interrupts-before
check insmod "insmod deadlock_irq $LAB_PARAMS succeeds" load
wait_log 60 "deadlock_irq: finished 20000 rounds"
check rmmod "rmmod succeeds within 2 s" rmmod_within 2 deadlock_irq
grep -E '^ *(CPU|LOC|0):' /proc/interrupts | sed 's/^/#   /'
# Which CPU's timer to read, from the module's own line; the host compares
# the count it logged with the climb measured here.
ticks=$(lab_klog | sed -n 's/.*stopped: the timer ran \([0-9]*\) times.*/\1/p' | tail -n 1)
cpu=$(lab_klog | sed -n 's/.*stopped: the timer ran [0-9]* times, on CPU \([0-9]*\).*/\1/p' | tail -n 1)
line=$(tick_line "$cpu")
climbed=$(($(ticks_of "$cpu" "$line") - $(ticks_of "$cpu" "$line" /tmp/interrupts-before)))
say "the timer's callback ran $ticks times, on CPU $cpu, whose timer ($line) count climbed by $climbed meanwhile"
measure timer-climbed "$climbed"
check lockdep-still-on "lockdep is still on (debug_locks 1)" debug_locks_is 1
finish
