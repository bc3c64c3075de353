//! Byte-exact vectors per tag: what decodes, to what, and what is refused and why.

extern crate std;

use crate::{DecodeErrorKind as K, Tag, Term, decode, decode_prefix};
use std::string::ToString;
use std::vec;
use std::vec::Vec;

std::thread_local! {
    static STEPPED: core::cell::Cell<usize> = const { core::cell::Cell::new(0) };
    static COMPARED: core::cell::Cell<usize> = const { core::cell::Cell::new(0) };
}

/// Counts keys compared by a sorted map's `get` on this thread (tests only).
#[cfg(feature = "index")]
pub(crate) fn count_compared() {
    COMPARED.with(|c| c.set(c.get() + 1));
}

#[cfg(feature = "index")]
fn compared() -> usize {
    COMPARED.with(|c| c.replace(0))
}

/// Counts bytes stepped over by `wire::skip` on this thread (tests only).
pub(crate) fn count_stepped(bytes: usize) {
    STEPPED.with(|c| c.set(c.get() + bytes));
}

fn stepped() -> usize {
    STEPPED.with(|c| c.replace(0))
}

fn shows(bytes: &[u8]) -> std::string::String {
    match decode(bytes) {
        Ok(term) => term.to_string(),
        Err(e) => panic!("{bytes:?}: {e}"),
    }
}

fn kind(bytes: &[u8]) -> K {
    decode(bytes).expect_err("should be refused").kind()
}

mod deep;
mod encoding;
#[cfg(feature = "index")]
mod index;
mod keys;
mod kinds;
