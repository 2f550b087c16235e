# SPDX-License-Identifier: GPL-2.0
# The end of the generic guest flow (lib-generic.sh), which a scenario that
# ends in a kernel panic never reaches: unload the module, and see it gone.
check rmmod "rmmod $LAB_MODULE succeeds within 5 s" rmmod_within 5 "$LAB_MODULE"
check gone "$LAB_MODULE is gone" not_loaded "$LAB_MODULE"
finish
