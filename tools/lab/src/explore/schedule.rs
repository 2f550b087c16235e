// SPDX-License-Identifier: GPL-2.0
//! Schedules: the order in which the threads' lock steps may begin within
//! one round, and the module parameter that carries one.
//!
//! A thread's steps are its lock attempts of the round, in order; step `k`
//! of the thread whose name ends in `a` is `a.k` (the threads of a second
//! ring end in `a1`, `b1`, ...: their steps are `a1.1`, ...), names that
//! cannot be mistaken for the threads' own. A thread's steps keep their
//! order, so a schedule is the sequence of the threads whose step comes
//! next: `a.1 b.1 a.2 b.2` is a, b, a, b. The `schedule` parameter holds
//! that sequence as hexadecimal digits, each the thread's index plus one,
//! first step first (`0x1212`): at most 15 steps, in the 60 bits an i64
//! parameter gives. A schedule may be a prefix: the steps after it run
//! freely.

use std::fmt;

/// The most steps a schedule parameter holds.
pub const MAX_STEPS: usize = 15;

/// The threads of a round and how many steps each takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shape {
    /// Each thread's name suffix (`a`, `b`, ..., `a1`, ...), in thread order.
    pub threads: Vec<String>,
    /// How many steps each thread takes (at most).
    pub steps: Vec<usize>,
}

impl Shape {
    /// The threads of the lab's harness: `threads` of them, one per lock of
    /// a ring of `locks`, each taking `steps` steps (the last may take
    /// `last_steps`, a back-off's retries).
    pub fn ring(threads: usize, locks: usize, steps: usize, last_steps: usize) -> Shape {
        let names = (0..threads)
            .map(|i| {
                let letter = (b'a' + (i % locks) as u8) as char;
                match i / locks {
                    0 => letter.to_string(),
                    r => format!("{letter}{r}"),
                }
            })
            .collect();
        let mut counts = vec![steps; threads];
        if let Some(last) = counts.get_mut(locks - 1) {
            *last = last_steps;
        }
        Shape {
            threads: names,
            steps: counts,
        }
    }

    fn index_of(&self, name: &str) -> Option<usize> {
        self.threads.iter().position(|t| t == name)
    }
}

/// A schedule: the thread of each step, in order.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Schedule(pub Vec<usize>);

impl Schedule {
    /// Reads the readable form (`a.1 b.1 a.2`), checking it against the
    /// shape: every step named, in each thread's order, none twice.
    pub fn parse(text: &str, shape: &Shape) -> Result<Schedule, String> {
        let mut seq = Vec::new();
        let mut done = vec![0usize; shape.threads.len()];
        for word in text.split([' ', ',']).filter(|w| !w.is_empty()) {
            let (thread, k) = word
                .rsplit_once('.')
                .ok_or_else(|| format!("{word:?}: a step is THREAD.N, as a.1"))?;
            let t = shape.index_of(thread).ok_or_else(|| {
                format!(
                    "{word:?}: no thread {thread:?} (the threads: {})",
                    shape.threads.join(" ")
                )
            })?;
            let k: usize = k
                .parse()
                .map_err(|_| format!("{word:?}: the step's number is not a number"))?;
            if k == 0 || k > shape.steps[t] {
                return Err(format!(
                    "{word:?}: thread {thread} takes steps {thread}.1 to {thread}.{}",
                    shape.steps[t]
                ));
            }
            if k <= done[t] {
                return Err(format!("{word:?}: step {word} is named twice"));
            }
            if k != done[t] + 1 {
                return Err(format!(
                    "{word:?}: step {thread}.{} is missing before it",
                    done[t] + 1
                ));
            }
            done[t] = k;
            seq.push(t);
        }
        if seq.is_empty() {
            return Err("an empty schedule: name its steps, as \"a.1 b.1\"".into());
        }
        if seq.len() > MAX_STEPS {
            return Err(format!(
                "{} steps: a schedule holds at most {MAX_STEPS} (the rest run freely)",
                seq.len()
            ));
        }
        Ok(Schedule(seq))
    }

    /// The parameter's value.
    pub fn encode(&self) -> i64 {
        self.0.iter().fold(0i64, |v, t| (v << 4) | (*t as i64 + 1))
    }

    /// The readable form.
    pub fn words(&self, shape: &Shape) -> String {
        let mut done = vec![0usize; shape.threads.len()];
        self.0
            .iter()
            .map(|t| {
                done[*t] += 1;
                format!("{}.{}", shape.threads[*t], done[*t])
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Whether `prefix` begins this schedule.
    pub fn starts_with(&self, prefix: &Schedule) -> bool {
        self.0.starts_with(&prefix.0)
    }
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#x}", self.encode())
    }
}

/// Every interleaving of the threads' steps (each thread's in order).
pub fn every(shape: &Shape) -> Vec<Schedule> {
    fn go(left: &mut [usize], seq: &mut Vec<usize>, out: &mut Vec<Schedule>) {
        if left.iter().all(|n| *n == 0) {
            out.push(Schedule(seq.clone()));
            return;
        }
        for t in 0..left.len() {
            if left[t] > 0 {
                left[t] -= 1;
                seq.push(t);
                go(left, seq, out);
                seq.pop();
                left[t] += 1;
            }
        }
    }
    let mut out = Vec::new();
    go(&mut shape.steps.clone(), &mut Vec::new(), &mut out);
    out
}

/// `n` schedules drawn as PCT draws them (Burckhardt et al.): each thread a
/// random priority, the highest-priority thread that has a step left takes
/// it, and at `depth - 1` random points the running thread's priority drops
/// below all others. Seeded, so that any of them can be drawn again; at most
/// [`MAX_STEPS`] steps each (the rest of a round runs freely).
pub fn sample(shape: &Shape, n: usize, depth: usize, seed: u64) -> Vec<Schedule> {
    use rand_core::{Rng, SeedableRng};
    let mut rng = rand_xorshift::XorShiftRng::seed_from_u64(seed);
    let mut pick = |below: usize| (rng.next_u64() % below.max(1) as u64) as usize;
    let total: usize = shape.steps.iter().sum();
    let mut out: Vec<Schedule> = Vec::new();
    for _ in 0..n {
        let mut prio: Vec<usize> = (0..shape.threads.len()).collect();
        for i in (1..prio.len()).rev() {
            prio.swap(i, pick(i + 1));
        }
        let mut prio: Vec<i64> = prio.into_iter().map(|p| p as i64 + depth as i64).collect();
        let changes: Vec<usize> = (1..depth).map(|_| pick(total)).collect();
        let mut left = shape.steps.clone();
        let mut seq = Vec::new();
        for step in 0..total.min(MAX_STEPS) {
            let Some(t) = (0..left.len())
                .filter(|t| left[*t] > 0)
                .max_by_key(|t| prio[*t])
            else {
                break;
            };
            seq.push(t);
            left[t] -= 1;
            if let Some(i) = changes.iter().position(|c| *c == step) {
                prio[t] = i as i64;
            }
        }
        out.push(Schedule(seq));
    }
    out
}

/// The shortest prefix after which every explored schedule deadlocked:
/// `runs` holds each schedule and whether it deadlocked.
pub fn minimal_deadlock(runs: &[(Schedule, bool)]) -> Option<Schedule> {
    let longest = runs.iter().map(|(s, _)| s.0.len()).max()?;
    for len in 1..=longest {
        let mut prefixes: Vec<Schedule> = runs
            .iter()
            .map(|(s, _)| Schedule(s.0[..len.min(s.0.len())].to_vec()))
            .collect();
        prefixes.sort();
        prefixes.dedup();
        for p in prefixes {
            let with: Vec<&(Schedule, bool)> =
                runs.iter().filter(|(s, _)| s.starts_with(&p)).collect();
            if !with.is_empty() && with.iter().all(|(_, d)| *d) {
                return Some(p);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn abba() -> Shape {
        Shape::ring(2, 2, 2, 2)
    }

    #[test]
    fn names_and_codes() {
        let s = Schedule::parse("a.1 b.1 a.2 b.2", &abba()).unwrap();
        assert_eq!(s.encode(), 0x1212);
        assert_eq!(s.to_string(), "0x1212");
        assert_eq!(s.words(&abba()), "a.1 b.1 a.2 b.2");
        let pairs = Shape::ring(4, 2, 2, 2);
        assert_eq!(pairs.threads, ["a", "b", "a1", "b1"]);
        assert_eq!(Schedule::parse("a1.1 a.1", &pairs).unwrap().encode(), 0x31);
    }

    #[test]
    fn malformed_schedules_are_named() {
        for (bad, says) in [
            ("a.2", "step a.1 is missing"),
            ("a.1 a.1", "named twice"),
            ("c.1", "no thread \"c\""),
            ("a.3", "takes steps a.1 to a.2"),
            ("a1", "a step is THREAD.N"),
            ("", "an empty schedule"),
        ] {
            let e = Schedule::parse(bad, &abba()).unwrap_err();
            assert!(e.contains(says), "{bad}: {e}");
        }
    }

    #[test]
    fn every_interleaving_once() {
        let all = every(&abba());
        assert_eq!(all.len(), 6);
        assert_eq!(every(&Shape::ring(3, 3, 2, 2)).len(), 90);
        assert_eq!(
            every(&Shape::ring(2, 2, 2, 4)).len(),
            15,
            "b with a retry: 6 choose 2"
        );
    }

    #[test]
    fn sampling_is_seeded() {
        let ring8 = Shape::ring(8, 8, 2, 2);
        let one = sample(&ring8, 5, 3, 42);
        assert_eq!(one, sample(&ring8, 5, 3, 42));
        assert_ne!(one, sample(&ring8, 5, 3, 43));
        assert!(one.iter().all(|s| s.0.len() == MAX_STEPS));
    }

    #[test]
    fn the_minimal_deadlock() {
        let s = |t: &str| Schedule::parse(t, &abba()).unwrap();
        let runs: Vec<(Schedule, bool)> = every(&abba())
            .into_iter()
            .map(|x| {
                let w = x.words(&abba());
                let dead = w.starts_with("a.1 b.1") || w.starts_with("b.1 a.1");
                (x, dead)
            })
            .collect();
        assert_eq!(minimal_deadlock(&runs), Some(s("a.1 b.1")));
        assert_eq!(minimal_deadlock(&[(s("a.1 a.2 b.1 b.2"), false)]), None);
    }
}
