//! The bounded work queue. It holds keys (a pull request, or a base branch
//! whose open pull requests are to be re-judged), not deliveries: a key
//! already waiting absorbs every later delivery for it, and a key being
//! evaluated is marked to run once more when it is done. So ten rapid pushes
//! to one pull request make at most two evaluations, the last one reading
//! the newest head, and one pull request is never evaluated twice at once.

use super::event::Key;
use std::collections::{HashMap, VecDeque};
use std::sync::{Condvar, Mutex};
use std::time::Instant;

/// The answer to [`Queue::offer`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Offer {
    /// A new evaluation is waiting.
    Queued,
    /// Folded into an evaluation already waiting, or one more run of the
    /// one in progress.
    Coalesced,
    /// The queue is full: the delivery is refused (503) so GitHub redelivers.
    Full,
    /// Shutting down.
    Closed,
}

#[derive(Default)]
struct State {
    order: VecDeque<Key>,
    /// Waiting keys and when the oldest delivery they stand for arrived.
    waiting: HashMap<Key, Instant>,
    running: HashMap<Key, Option<Instant>>,
    closed: bool,
}

pub struct Queue {
    state: Mutex<State>,
    wake: Condvar,
    capacity: usize,
}

impl Queue {
    pub fn new(capacity: usize) -> Queue {
        Queue {
            state: Mutex::new(State::default()),
            wake: Condvar::new(),
            capacity: capacity.max(1),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn offer(&self, key: Key) -> Offer {
        self.offer_at(key, Instant::now())
    }

    /// Work the server itself found (a push's open pull requests, a
    /// superseded verdict, the queue saved at the last shutdown): queued
    /// even past the capacity, which bounds what strangers can add.
    pub fn offer_past_capacity(&self, key: Key) -> Offer {
        self.offer_inner(key, Instant::now(), true)
    }

    pub fn offer_at(&self, key: Key, at: Instant) -> Offer {
        self.offer_inner(key, at, false)
    }

    fn offer_inner(&self, key: Key, at: Instant, past_capacity: bool) -> Offer {
        let mut s = self.lock();
        if s.closed {
            return Offer::Closed;
        }
        if s.waiting.contains_key(&key) {
            return Offer::Coalesced;
        }
        if let Some(again) = s.running.get_mut(&key) {
            again.get_or_insert(at);
            return Offer::Coalesced;
        }
        if s.order.len() >= self.capacity && !past_capacity {
            return Offer::Full;
        }
        s.waiting.insert(key.clone(), at);
        s.order.push_back(key);
        self.wake.notify_one();
        Offer::Queued
    }

    /// The next key to evaluate and when its oldest delivery arrived;
    /// blocks until there is one. `None` once the queue is closed.
    pub fn take(&self) -> Option<(Key, Instant)> {
        let mut s = self.lock();
        loop {
            if s.closed {
                return None;
            }
            if let Some(key) = s.order.pop_front() {
                let since = s.waiting.remove(&key).unwrap_or_else(Instant::now);
                s.running.insert(key.clone(), None);
                return Some((key, since));
            }
            s = self.wake.wait(s).unwrap_or_else(|p| p.into_inner());
        }
    }

    /// The evaluation of `key` is over; when deliveries came in meanwhile it
    /// goes back in the queue (already accepted work, so past the capacity).
    pub fn done(&self, key: &Key) {
        let mut s = self.lock();
        if let Some(Some(at)) = s.running.remove(key) {
            s.waiting.insert(key.clone(), at);
            s.order.push_back(key.clone());
            self.wake.notify_one();
        }
    }

    /// Stops handing out work; [`Queue::take`] returns `None` from now on.
    pub fn close(&self) {
        self.lock().closed = true;
        self.wake.notify_all();
    }

    /// Keys accepted but not evaluated (after [`Queue::close`] and the
    /// workers' last [`Queue::done`]): saved so a restart picks them up.
    pub fn leftover(&self) -> Vec<Key> {
        let s = self.lock();
        let mut out: Vec<Key> = s.order.iter().cloned().collect();
        out.extend(
            s.running
                .iter()
                .filter(|(_, again)| again.is_some())
                .map(|(k, _)| k.clone()),
        );
        out
    }

    pub fn depth(&self) -> usize {
        self.lock().order.len()
    }

    pub fn in_flight(&self) -> usize {
        self.lock().running.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::serve::event::Target;

    fn pr(n: u64) -> Key {
        Key {
            installation: 1,
            repo: "acme/itsm".into(),
            target: Target::Pr(n),
        }
    }

    #[test]
    fn ten_pushes_make_at_most_two_runs() {
        let q = Queue::new(10);
        assert_eq!(q.offer(pr(1)), Offer::Queued);
        assert_eq!(q.offer(pr(1)), Offer::Coalesced);
        let (k, _) = q.take().unwrap();
        for _ in 0..8 {
            assert_eq!(q.offer(pr(1)), Offer::Coalesced);
        }
        assert_eq!(q.depth(), 0, "a running key is not queued twice");
        q.done(&k);
        assert_eq!(q.depth(), 1);
        let (k, _) = q.take().unwrap();
        q.done(&k);
        assert_eq!(q.depth(), 0);
        assert_eq!(q.in_flight(), 0);
    }

    #[test]
    fn full_and_closed() {
        let q = Queue::new(2);
        assert_eq!(q.offer(pr(1)), Offer::Queued);
        assert_eq!(q.offer(pr(2)), Offer::Queued);
        assert_eq!(q.offer(pr(3)), Offer::Full);
        assert_eq!(q.offer(pr(2)), Offer::Coalesced);
        let (k, _) = q.take().unwrap();
        assert_eq!(k, pr(1));
        assert_eq!(q.offer(pr(1)), Offer::Coalesced);
        q.close();
        assert_eq!(q.offer(pr(4)), Offer::Closed);
        assert_eq!(q.take(), None);
        q.done(&k);
        assert_eq!(q.leftover(), vec![pr(2), pr(1)]);
    }
}
