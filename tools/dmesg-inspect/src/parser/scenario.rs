// SPDX-License-Identifier: GPL-2.0
//! lockdep's "Possible unsafe locking scenario" table
//! (`print_circular_lock_scenario()`, `print_deadlock_scenario()`,
//! `print_usage_bug_scenario()`, `print_irq_lock_scenario()`): an optional
//! `Chain exists of:` line, the column headers (`CPU0  CPU1`), the cells
//! (`lock(sem1);`, `<Interrupt>`), indented by column, and
//! `*** DEADLOCK ***`.

use super::lockdep::Expect;
use super::report::Common;
use super::trace::Sink;
use super::{Take, MAX_ROWS};
use crate::model::Scenario;

/// The scenario table of a lockdep report, as far as it was read.
#[derive(Default)]
pub(super) struct ScenarioReader {
    scenario: Option<Scenario>,
    /// `*** DEADLOCK ***` ended the table.
    done: bool,
}

impl ScenarioReader {
    /// Takes a line of the table; `text` is the message with its
    /// indentation, which tells the column. `expect` is the report's
    /// expectation of its next line, which `Chain exists of:` sets.
    /// Returns `None` if `t` is not part of the table.
    pub(super) fn feed(
        &mut self,
        c: &mut Common,
        expect: &mut Expect,
        text: &str,
        t: &str,
    ) -> Option<Take> {
        if t.starts_with("Possible unsafe locking scenario")
            || t.starts_with("Possible interrupt unsafe locking scenario")
        {
            let chain = self
                .scenario
                .take()
                .map(|s| s.chain_exists_of)
                .unwrap_or_default();
            self.scenario = Some(Scenario {
                columns: Vec::new(),
                rows: Vec::new(),
                chain_exists_of: chain,
            });
            self.done = false;
            c.set_sink(Sink::None);
            return Some(Take::Used);
        }
        if t == "Chain exists of:" {
            *expect = Expect::ChainExistsOf;
            return Some(Take::Used);
        }
        if *expect == Expect::ChainExistsOf {
            *expect = Expect::Nothing;
            let classes = t.split(" --> ").map(|s| s.trim().to_string()).collect();
            self.scenario
                .get_or_insert_with(Scenario::default)
                .chain_exists_of = classes;
            return Some(Take::Used);
        }
        if t == "*** DEADLOCK ***" {
            self.done = true;
            return Some(Take::Used);
        }
        if t.starts_with("May be due to missing lock nesting notation") {
            return Some(Take::Used);
        }
        let s = self.scenario.as_mut()?;
        if self.done {
            return None;
        }
        if t.starts_with("CPU0") {
            s.columns = t.split_whitespace().map(str::to_string).collect();
            return Some(Take::Used);
        }
        if t.bytes().all(|b| b == b'-' || b == b' ') {
            return Some(Take::Used);
        }
        let is_cell = t.ends_with(");") || t == "<Interrupt>";
        if is_cell && s.rows.len() < MAX_ROWS {
            let ncols = s.columns.len().max(1);
            let indent = text.len() - text.trim_start().len();
            let col = if indent >= 16 { 1.min(ncols - 1) } else { 0 };
            let mut row = vec![String::new(); ncols];
            row[col] = t.to_string();
            s.rows.push(row);
            return Some(Take::Used);
        }
        None
    }

    pub(super) fn finish(self) -> Option<Scenario> {
        self.scenario
    }
}
