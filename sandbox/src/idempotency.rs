//! `Idempotency-Key` on `POST`, as the IETF httpapi draft "The
//! Idempotency-Key HTTP Header Field" describes it: a repeat of a key with
//! the same body gets the first answer again (marked
//! `Idempotent-Replayed: true`) and changes nothing; the same key with
//! another body answers 422. A key is scoped to its operation and path.
//! Only answers of requests that reached the store are saved (a refused
//! body or an injected fault saves nothing, so a retry is judged afresh),
//! at most [`MAX_KEYS`] of them, the oldest forgotten first. Emptying or
//! replacing the state forgets them all.

use std::collections::{HashMap, VecDeque};

use bytes::Bytes;
use sha2::{Digest, Sha256};

/// Keys remembered at once.
pub const MAX_KEYS: usize = 1000;

/// A saved answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Saved {
    pub status: u16,
    /// The JSON answer, if it had one.
    pub body: Option<Bytes>,
}

/// What a key has seen.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Seen<'a> {
    New,
    Replay(&'a Saved),
    OtherBody,
}

/// The saved answers by (scope, key), with a fingerprint of the body.
#[derive(Debug, Default)]
pub(crate) struct Keys {
    saved: HashMap<(String, String), ([u8; 32], Saved)>,
    order: VecDeque<(String, String)>,
}

/// A body's fingerprint: SHA-256 of its JSON value with the keys sorted, so
/// that the same value sent with other spacing or key order is the same
/// body.
pub(crate) fn fingerprint(body: &[u8]) -> [u8; 32] {
    let canonical = serde_json::from_slice::<serde_json::Value>(body)
        .map(|v| v.to_string().into_bytes())
        .unwrap_or_else(|_| body.to_vec());
    Sha256::digest(&canonical).into()
}

impl Keys {
    pub fn seen(&self, scope: &str, key: &str, print: &[u8; 32]) -> Seen<'_> {
        match self.saved.get(&(scope.to_owned(), key.to_owned())) {
            None => Seen::New,
            Some((saved_print, saved)) if saved_print == print => Seen::Replay(saved),
            Some(_) => Seen::OtherBody,
        }
    }

    pub fn save(&mut self, scope: &str, key: &str, print: [u8; 32], saved: Saved) {
        let id = (scope.to_owned(), key.to_owned());
        if self.saved.insert(id.clone(), (print, saved)).is_none() {
            self.order.push_back(id);
        }
        while self.order.len() > MAX_KEYS {
            if let Some(oldest) = self.order.pop_front() {
                self.saved.remove(&oldest);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn saved(status: u16) -> Saved {
        Saved {
            status,
            body: Some(Bytes::from_static(b"{}")),
        }
    }

    #[test]
    fn a_key_replays_for_the_same_body_only() {
        let mut keys = Keys::default();
        let a = fingerprint(br#"{"x": 1, "y": 2}"#);
        assert_eq!(a, fingerprint(br#"{"y":2,"x":1}"#));
        assert_ne!(a, fingerprint(br#"{"y":2,"x":3}"#));
        assert_eq!(keys.seen("op /p", "k", &a), Seen::New);
        keys.save("op /p", "k", a, saved(201));
        assert_eq!(keys.seen("op /p", "k", &a), Seen::Replay(&saved(201)));
        assert_eq!(
            keys.seen("op /p", "k", &fingerprint(b"{}")),
            Seen::OtherBody
        );
        assert_eq!(keys.seen("op /q", "k", &a), Seen::New);
        assert_eq!(fingerprint(b"not json"), fingerprint(b"not json"));
    }

    #[test]
    fn the_oldest_keys_are_forgotten_past_the_bound() {
        let mut keys = Keys::default();
        let print = fingerprint(b"{}");
        for n in 0..=MAX_KEYS {
            keys.save("s", &n.to_string(), print, saved(201));
        }
        assert_eq!(keys.seen("s", "0", &print), Seen::New);
        assert_eq!(keys.seen("s", "1", &print), Seen::Replay(&saved(201)));
        assert_eq!(keys.saved.len(), MAX_KEYS);
        keys.save("s", "1", print, saved(409));
        assert_eq!(keys.order.len(), MAX_KEYS);
    }
}
