//! The `kv` example's handlers fuzzed in-process through `Protocol::call_packet` (the fuzz
//! target `kv`): the way to fuzz a port of your own.
//!
//! Each input is a sequence of requests to one store (state carries over), each one of:
//! - a typed request (`Request: Arbitrary`, written with `to_vec`): right-shaped requests
//!   that reach deep into the handlers;
//! - any valid term ([`ArbitraryTerm`]): wrong shapes, wrong types, odd atoms;
//! - raw bytes: what a broken client sends.
//!
//! Every request must get exactly one reply, a whole `{packet, 4}` frame holding a valid
//! term, and never an exception (a handler that panics is a finding).

use arbitrary::{Arbitrary, Unstructured};
use erlport::codec::{ArbitraryTerm, decode, encode_to_vec, to_vec};
use serde::Serialize;

#[path = "../../examples/kv/store.rs"]
#[allow(dead_code)]
mod store;

/// A request the store understands, made by `arbitrary` and written with `to_vec`.
#[derive(Arbitrary, Serialize, Debug)]
#[serde(rename_all = "snake_case")]
pub enum Request {
    /// `{put, Key, Value, Opts}`.
    Put(String, #[serde(with = "serde_bytes")] Vec<u8>, PutOpts),
    /// `{get, Key}`.
    Get(String),
    /// `{info, Key}`.
    Info(String),
    /// `{delete, Key}`.
    Delete(String),
    /// `{incr, Key, By}`.
    Incr(String, i64),
    /// `{find, Query}`.
    Find(Query),
    /// `stats`.
    Stats,
}

/// `#{kind => Kind}`.
#[derive(Arbitrary, Serialize, Debug)]
pub struct PutOpts {
    kind: Option<Kind>,
}

/// `#{prefix => Bin, kind => Kind}`.
#[derive(Arbitrary, Serialize, Debug)]
pub struct Query {
    prefix: Option<String>,
    kind: Option<Kind>,
}

/// The store's kinds, and one it does not know.
#[derive(Arbitrary, Serialize, Debug)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Known.
    Blob,
    /// Known.
    Text,
    /// Unknown: `{error, function_clause}`.
    Purple,
}

/// One input: requests until the bytes run out.
pub fn kv(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let mut proto = store::protocol::<Vec<u8>>();
    let mut reply = Vec::new();
    while !u.is_empty() {
        let request = match u.choose_index(3) {
            Ok(0) => match Request::arbitrary(&mut u) {
                Ok(request) => to_vec(&request).expect("a request writes"),
                Err(_) => break,
            },
            Ok(1) => match ArbitraryTerm::arbitrary(&mut u) {
                Ok(term) => encode_to_vec(&term).expect("a generated term writes"),
                Err(_) => break,
            },
            Ok(_) => match <&[u8]>::arbitrary(&mut u) {
                Ok(bytes) => bytes.to_vec(),
                Err(_) => break,
            },
            Err(_) => break,
        };
        reply.clear();
        proto.call_packet(&request, &mut reply);
        let (header, body) = reply.split_at(4);
        assert_eq!(u32::from_be_bytes(header.try_into().unwrap()) as usize, body.len(), "one whole frame");
        let term = decode(body).expect("the reply is a term");
        let text = term.to_string();
        assert!(!text.starts_with("{error,{exception,"), "a handler panicked: {text}");
    }
}
