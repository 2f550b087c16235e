# SPDX-License-Identifier: GPL-2.0
# gdb commands for the ABBA deadlock of deadlock_lab, run against QEMU's gdb
# stub with vmlinux and the kernel's own gdb scripts (vmlinux-gdb.py) loaded.
#
#   abba-show MODULE_DIR   lx-ps, lx-lsmod, the module's lines of lx-dmesg,
#                          the module's symbols (lx-symbols MODULE_DIR), and
#                          a backtrace of each stuck thread
#   abba-release VALUE     write VALUE (the host-guest contract's release
#                          value) into kernel.domainname, which the guest
#                          waits for before it unloads the module
#
# A task that sleeps is on no CPU, so gdb has no registers for it. What it
# left behind is its kernel stack: on x86-64, task->thread.sp points to the
# struct inactive_task_frame that __switch_to_asm pushed (r15, r14, r13, r12,
# bx, bp, ret_addr). abba-show loads that frame into the registers of the
# current vCPU, runs `bt`, and puts the vCPU's real registers back before
# anything else happens; the machine is stopped all along.

import gdb

THREADS = ("deadlock_lab_a", "deadlock_lab_b")


def run(cmd):
    return gdb.execute(cmd, to_string=True)


def tasks_named(comm):
    from linux import tasks

    return [t for t in tasks.task_lists() if t["comm"].string() == comm]


def saved_frame(task):
    """The stack pointer, frame pointer and return address a sleeping task left."""
    sp = int(task["thread"]["sp"])
    frame_type = gdb.lookup_type("struct inactive_task_frame")
    frame = gdb.Value(sp).cast(frame_type.pointer()).dereference()
    # After __switch_to_asm returns, the frame has been popped off the stack.
    return sp + frame_type.sizeof, int(frame["bp"]), int(frame["ret_addr"])


def backtrace_of(task):
    rsp, rbp, rip = saved_frame(task)
    saved = {r: int(gdb.parse_and_eval("$" + r)) for r in ("rsp", "rbp", "rip")}
    try:
        run("set $rsp = %d" % rsp)
        run("set $rbp = %d" % rbp)
        run("set $rip = %d" % rip)
        return run("bt 20")
    finally:
        for reg in ("rsp", "rbp", "rip"):
            run("set $%s = %d" % (reg, saved[reg]))
        run("maintenance flush register-cache")


class AbbaShow(gdb.Command):
    """Show the ABBA deadlock of deadlock_lab: abba-show MODULE_DIR"""

    def __init__(self):
        super().__init__("abba-show", gdb.COMMAND_USER)

    def invoke(self, arg, from_tty):
        module_dir = arg.strip()
        before = run("info registers rip rsp rbp")
        print("=== lx-ps (kernel threads of the lab)")
        for line in run("lx-ps").splitlines():
            if line.lstrip().startswith("TASK") or "deadlock_lab" in line:
                print(line)
        print("=== lx-lsmod")
        print(run("lx-lsmod"), end="")
        print("=== lx-dmesg (deadlock_lab lines)")
        for line in run("lx-dmesg").splitlines():
            if "deadlock_lab:" in line:
                print(line)
        if module_dir:
            print("=== lx-symbols %s" % module_dir)
            print(run("lx-symbols %s" % module_dir), end="")
        for comm in THREADS:
            for task in tasks_named(comm):
                pid = int(task["pid"])
                state = int(task["__state"])
                print("=== backtrace of %s (pid %d, __state %#x) from its saved stack" % (comm, pid, state))
                print(backtrace_of(task), end="")
        after = run("info registers rip rsp rbp")
        print("=== registers of the current vCPU, before and after the walks")
        print(before, end="")
        print("restored: %s" % ("yes" if after == before else "NO, now:\n" + after))


class AbbaRelease(gdb.Command):
    """Tell the guest that gdb is done: abba-release VALUE writes VALUE (the
    host-guest contract's release value) into kernel.domainname, the
    contract's release sysctl, which the waiting guest polls"""

    def __init__(self):
        super().__init__("abba-release", gdb.COMMAND_USER)

    def invoke(self, arg, from_tty):
        addr = int(gdb.parse_and_eval("&init_uts_ns.name.domainname[0]"))
        gdb.selected_inferior().write_memory(addr, arg.encode() + b"\0")
        print("=== released the guest (kernel.domainname = %s)" % arg)


AbbaShow()
AbbaRelease()
