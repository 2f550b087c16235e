// SPDX-License-Identifier: GPL-2.0
//! What `make explore` explores: the configurations of `deadlock_lab` and
//! the schedules of one round of each.

use super::schedule::{every, sample, Schedule, Shape};

/// The module whose schedules are explored.
pub const MODULE: &str = "deadlock_lab";

/// How many steps a schedule's PCT sample may change priority at (the
/// bug depth of PCT: an ABBA needs one change, a ring of N at most N - 1).
pub const DEPTH: usize = 3;

/// A configuration of the module and the schedules explored of it.
#[derive(Debug, Clone)]
pub struct Config {
    /// How the summary names it: `fixed=0`, `locks=3`.
    pub label: String,
    /// The module's parameters besides `rounds` and `schedule`.
    pub params: String,
    pub shape: Shape,
    pub schedules: Vec<Schedule>,
    /// Expected silent: its schedules share boots (lockdep reports once a
    /// boot, so a schedule whose report counts has a boot of its own).
    pub shared: bool,
    /// Drawn, not enumerated: the seed and how many schedules there are.
    pub sampled: Option<Sampled>,
}

#[derive(Debug, Clone, Copy)]
pub struct Sampled {
    pub seed: u64,
    pub of: u128,
}

/// The shape of one round of `deadlock_lab` loaded with `params`
/// (`fixed=`, `locks=`, `threads=`; the module's defaults otherwise).
pub fn shape_of(params: &str) -> Result<Shape, String> {
    let (mut fixed, mut locks, mut threads) = (0usize, 2usize, None);
    for word in params.split_whitespace() {
        let (k, v) = word
            .split_once('=')
            .ok_or_else(|| format!("{word:?}: a parameter is NAME=VALUE"))?;
        if ["rounds", "schedule", "overlap"].contains(&k) {
            return Err(format!("{word:?}: explore sets {k} itself"));
        }
        let n: usize = v
            .parse()
            .map_err(|_| format!("{word:?}: {k} takes a number"))?;
        match k {
            "fixed" => fixed = n,
            "locks" => locks = n,
            "threads" => threads = Some(n),
            _ => {}
        }
    }
    if !(2..=8).contains(&locks) {
        return Err(format!("locks={locks}: a ring has 2 to 8 semaphores"));
    }
    let threads = threads.unwrap_or(locks);
    if threads < locks || threads > 15 {
        return Err(format!(
            "threads={threads}: a schedule names {locks} to 15 threads"
        ));
    }
    let last = if fixed == 2 { 4 } else { 2 };
    Ok(Shape::ring(threads, locks, 2, last))
}

/// The parameters of a load of `config` following `schedule`.
pub fn load_params(params: &str, schedule: &Schedule) -> String {
    format!("{params} rounds=1 schedule={schedule}")
        .trim_start()
        .to_string()
}

/// The configurations `make explore` runs: every schedule of the ABBA as
/// it is, fixed, and backing off, and of a ring of 3; `samples` PCT draws
/// (seeded) of a ring of `ring`.
pub fn configs(ring: usize, samples: usize, seed: u64) -> Vec<Config> {
    let all = |label: &str, params: &str, shared: bool| {
        let shape = shape_of(params).expect("the lab's own parameters");
        Config {
            label: label.to_string(),
            params: params.to_string(),
            schedules: every(&shape),
            shape,
            shared,
            sampled: None,
        }
    };
    let mut out = vec![
        all("fixed=0", "fixed=0", false),
        all("fixed=1", "fixed=1", true),
        all("fixed=2", "fixed=2", true),
        all("locks=3", "locks=3 threads=3", false),
    ];
    if samples > 0 {
        let params = format!("locks={ring} threads={ring}");
        let shape = shape_of(&params).expect("a ring of 2 to 8");
        out.push(Config {
            label: format!("locks={ring}"),
            schedules: sample(&shape, samples, DEPTH, seed),
            sampled: Some(Sampled {
                seed,
                of: interleavings(&shape),
            }),
            params,
            shape,
            shared: false,
        });
    }
    out
}

/// How many interleavings a shape has: the multinomial coefficient of its
/// threads' steps.
pub fn interleavings(shape: &Shape) -> u128 {
    let mut n: u128 = 1;
    let mut placed: u128 = 0;
    for &k in &shape.steps {
        for i in 1..=k as u128 {
            placed += 1;
            n = n * placed / i;
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_from_parameters() {
        assert_eq!(shape_of("fixed=0").unwrap().steps, [2, 2]);
        assert_eq!(shape_of("fixed=2").unwrap().steps, [2, 4]);
        assert_eq!(
            shape_of("locks=3 threads=3").unwrap().threads,
            ["a", "b", "c"]
        );
        assert!(shape_of("schedule=0x12")
            .unwrap_err()
            .contains("explore sets"));
        assert!(shape_of("locks=9").is_err());
        assert!(shape_of("fixed").is_err());
    }

    #[test]
    fn counted_interleavings() {
        let c = configs(8, 4, 7);
        let sizes: Vec<usize> = c.iter().map(|c| c.schedules.len()).collect();
        assert_eq!(sizes, [6, 6, 15, 90, 4]);
        assert_eq!(interleavings(&c[3].shape), 90);
        assert_eq!(c[4].sampled.unwrap().of, 81_729_648_000);
        assert_eq!(
            load_params("fixed=1", &c[1].schedules[0]),
            "fixed=1 rounds=1 schedule=0x1122"
        );
    }
}
