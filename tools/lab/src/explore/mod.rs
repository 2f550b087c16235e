// SPDX-License-Identifier: GPL-2.0
//! `make explore`: every interleaving of a round, by name.

pub mod schedule;
