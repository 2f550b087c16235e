// SPDX-License-Identifier: GPL-2.0
//! The host side of deadlock-lab: the program that boots the lab kernel in
//! QEMU and runs the test suite, the demo's stories, gdb's session, the
//! shell, the benchmark and the series matrix.
//!
//! The path of a request: [`decl`] reads the scenarios' declarations,
//! [`modules`] what the lab built, [`qemu`] makes a boot's command line,
//! [`boot`] runs it into a log folder, [`protocol`] reads what the guest
//! said there, [`judge`] turns a folder into a result and [`ktap`] writes
//! results; [`suite`] schedules the boots of `make test`, [`story`] tells
//! `make run`'s stories.

pub mod accel;
pub mod behaviour;
pub mod bench;
pub mod boot;
pub mod build;
pub mod contract;
pub mod decl;
pub mod detectors;
pub mod docs;
pub mod doctor;
pub mod exercise;
pub mod explore;
pub mod gdb;
pub mod guest;
pub mod hosttests;
pub mod interrupt;
pub mod jobs;
pub mod judge;
pub mod ktap;
pub mod kunit;
pub mod live;
pub mod lockorder;
pub mod lockup;
pub mod logfacts;
pub mod matrix;

pub mod modules;
pub mod outcome;
pub mod outside;
pub mod paths;
pub mod plan;
pub mod process;
pub mod protocol;
pub mod qemu;
pub mod regions;
pub mod relay;
pub mod repeat;
pub mod script;
pub mod setup;
pub mod shell;
pub mod story;
pub mod suite;
pub mod verdict;

use std::fmt;

/// An error that says what happened and, on the lines after it, what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub message: String,
    pub hints: Vec<String>,
}

impl Error {
    pub fn new(message: impl Into<String>) -> Error {
        Error {
            message: message.into(),
            hints: Vec::new(),
        }
    }

    /// Adds a line saying what to do.
    pub fn hint(mut self, hint: impl Into<String>) -> Error {
        self.hints.push(hint.into());
        self
    }

    pub fn hints(mut self, hints: impl IntoIterator<Item = String>) -> Error {
        self.hints.extend(hints);
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.message)?;
        for h in &self.hints {
            write!(f, "\n  {h}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

/// A note on standard error, indented as the lab's scripts print them.
pub fn note(text: impl AsRef<str>) {
    eprintln!("   {}", text.as_ref());
}
