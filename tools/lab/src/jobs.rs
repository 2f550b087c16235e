// SPDX-License-Identifier: GPL-2.0
//! Jobs run in the background, at most so many at once, in the order
//! given, each posting its results under the keys it declared; the caller
//! waits for each key's result in its own order.
//!
//! A job that panics still answers: every key it declared and did not post
//! gets [`Panicked`]'s value, with the panic's message, so that whoever
//! waits for it learns what happened instead of waiting for good.

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Condvar, Mutex};

/// What a job's keys hold when the job panicked before posting them.
pub trait Panicked {
    fn panicked(message: &str) -> Self;
}

/// A job's work: it posts its results as it goes.
pub type Work<V> = Box<dyn FnOnce(&Post<V>) + Send>;

/// One job: the keys it posts, and its work.
pub struct Job<V> {
    pub keys: Vec<String>,
    pub run: Work<V>,
}

impl<V> Job<V> {
    pub fn new(keys: Vec<String>, run: impl FnOnce(&Post<V>) + Send + 'static) -> Job<V> {
        Job {
            keys,
            run: Box::new(run),
        }
    }
}

struct State<V> {
    done: HashMap<String, V>,
    busy: usize,
}

type Shared<V> = Arc<(Mutex<State<V>>, Condvar)>;

/// Where a job posts its results.
pub struct Post<V> {
    shared: Shared<V>,
}

impl<V> Post<V> {
    pub fn put(&self, key: &str, value: V) {
        let (m, cv) = &*self.shared;
        lock(m).done.insert(key.to_string(), value);
        cv.notify_all();
    }
}

/// The jobs of one run.
pub struct Pool<V> {
    shared: Shared<V>,
}

/// A poisoned lock still holds sound data here: every update is one insert.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The text of a panic's payload.
fn message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_string())
}

impl<V: Panicked + Clone + Send + 'static> Pool<V> {
    /// Starts `jobs` in the background, at most `slots` at once, in order.
    pub fn start(jobs: Vec<Job<V>>, slots: usize) -> Pool<V> {
        let shared: Shared<V> = Arc::new((
            Mutex::new(State {
                done: HashMap::new(),
                busy: 0,
            }),
            Condvar::new(),
        ));
        let pool = Pool {
            shared: shared.clone(),
        };
        std::thread::spawn(move || {
            for job in jobs {
                {
                    let (m, cv) = &*shared;
                    let mut s = lock(m);
                    while s.busy >= slots.max(1) {
                        s = cv.wait(s).unwrap_or_else(|e| e.into_inner());
                    }
                    s.busy += 1;
                }
                let shared = shared.clone();
                std::thread::spawn(move || {
                    let post = Post {
                        shared: shared.clone(),
                    };
                    let outcome = catch_unwind(AssertUnwindSafe(|| (job.run)(&post)));
                    let (m, cv) = &*shared;
                    let mut s = lock(m);
                    if let Err(payload) = outcome {
                        let text = message(&*payload);
                        for k in &job.keys {
                            if !s.done.contains_key(k) {
                                s.done.insert(k.clone(), V::panicked(&text));
                            }
                        }
                    }
                    s.busy -= 1;
                    cv.notify_all();
                });
            }
        });
        pool
    }

    /// Waits for the result of `key`.
    pub fn wait(&self, key: &str) -> V {
        let (m, cv) = &*self.shared;
        let mut s = lock(m);
        loop {
            if let Some(v) = s.done.get(key) {
                return v.clone();
            }
            s = cv.wait(s).unwrap_or_else(|e| e.into_inner());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, PartialEq)]
    enum R {
        Ok(u32),
        Panicked(String),
    }
    impl Panicked for R {
        fn panicked(message: &str) -> R {
            R::Panicked(message.to_string())
        }
    }

    #[test]
    fn a_panicking_job_answers_with_its_message() {
        let jobs = vec![
            Job::new(vec!["a".into(), "b".into()], |p: &Post<R>| {
                p.put("a", R::Ok(1));
                panic!("the boot's thread fell over at {}", 42);
            }),
            Job::new(vec!["c".into()], |p: &Post<R>| p.put("c", R::Ok(3))),
        ];
        let pool = Pool::start(jobs, 1);
        assert_eq!(pool.wait("a"), R::Ok(1));
        assert_eq!(
            pool.wait("b"),
            R::Panicked("the boot's thread fell over at 42".into())
        );
        assert_eq!(
            pool.wait("c"),
            R::Ok(3),
            "the next job still ran in the freed slot"
        );
    }
}
