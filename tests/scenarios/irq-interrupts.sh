# SPDX-License-Identifier: GPL-2.0
# deadlock_irq fixed=1 seen through /proc/interrupts, as the article advises
# ("verify interrupt handler behavior"). The hrtimer whose callback takes
# stats_lock expires in the local APIC timer interrupt (LOC) of one CPU: that
# CPU's LOC count climbs by at least as many interrupts as the callback ran.
# That shows that a handler runs, and where; it cannot show that the handler
# takes a lock, or that a thread takes the same lock with interrupts on:
# that is lockdep's part (the irq scenario).
. /scenarios/lib.sh

# tick_line CPU: the /proc/interrupts line of the CPU's timer: LOC, its local
# APIC timer; or IRQ 0 ("timer", the PIT) for the boot CPU if the kernel found
# that CPU's local APIC timer unreliable at boot ("APIC timer disabled due to
# verification failure", which a busy TCG host can cause): its tick then
# comes by broadcast from the PIT. The other CPUs keep their own.
tick_line() {
	if [ "$1" = 0 ] && boot_log_has "APIC timer disabled due to verification failure"; then
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
check rounds "the thread finishes its 20000 rounds" wait_until 60 module_said "deadlock_irq: finished 20000 rounds"
check rmmod "rmmod succeeds within 2 s" rmmod_within 2 deadlock_irq
grep -E '^ *(CPU|LOC|0):' /proc/interrupts | sed 's/^/#   /'
ticks=$(logged_number 'stopped: the timer ran \([0-9]*\) times')
cpu=$(logged_number 'stopped: the timer ran [0-9]* times, on CPU \([0-9]*\)')
line=$(tick_line "$cpu")
climbed=$(($(ticks_of "$cpu" "$line") - $(ticks_of "$cpu" "$line" /tmp/interrupts-before)))
say "the timer's callback ran $ticks times, on CPU $cpu, whose timer ($line) count climbed by $climbed meanwhile"
check callback-ran "the timer's callback ran, in hard-interrupt context" at_least "$ticks" 10
check timer-interrupts "its CPU's timer interrupts (LOC, or IRQ 0 without a local APIC timer) climbed by at least as many" \
	at_least "$climbed" "$ticks"
check lockdep-still-on "lockdep is still on (debug_locks 1)" debug_locks_is 1
finish
