//! A key-value store with typed handlers: derived structs and enums in and out, `Option`,
//! `Result` replies, state without `Rc<RefCell>`, and a binary argument borrowed from the
//! request (never copied until it is stored).
//!
//! | Request | Reply |
//! |---|---|
//! | `{put, Key, Value, Opts}` (`Opts`: `#{kind => text \| blob}`, a keyword list, or `[]`) | `{ok, Version}` or `{error, {too_large, Max}}` |
//! | `{get, Key}` | `{ok, Value}` or `{error, not_found}` |
//! | `{info, Key}` | `#{kind => Kind, size => Bytes, version => N}` or `undefined` (`nil` with `--nil`) |
//! | `{delete, Key}` | `ok` or `{error, not_found}` |
//! | `{incr, Key, By}` | `{ok, N}` or `{error, not_a_number}` |
//! | `{find, Query}` (`#{prefix => Bin, kind => Kind}`, both optional) | the keys, sorted |
//! | `stats` | `#{keys => N, bytes => M, largest => Key or undefined}` |
//!
//! The handlers live here, in a function generic over the output, so that a fuzz target
//! (`fuzz/fuzz_targets/kv.rs`) can drive the same protocol through `Protocol::call_packet`.

use erlport::handler::Stateful;
use erlport::{Protocol, borrowed_arg};
use serde::{Deserialize, Serialize};
use serde_bytes::ByteBuf;
use std::collections::BTreeMap;
use std::io::Write;

const MAX_VALUE: usize = 1 << 20;

/// What a value holds.
#[derive(Serialize, Deserialize, Clone, Copy, PartialEq, Default, Debug)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Bytes (the default).
    #[default]
    Blob,
    /// Text.
    Text,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PutOpts {
    kind: Option<Kind>,
}
borrowed_arg!(PutOpts);

#[derive(Deserialize)]
struct Query<'a> {
    prefix: Option<&'a str>,
    kind: Option<Kind>,
}
borrowed_arg!(Query<'a>);

#[derive(Serialize)]
#[serde(rename_all = "snake_case")]
enum KvError {
    NotFound,
    NotANumber,
    TooLarge(usize),
}

#[derive(Serialize)]
struct Info {
    kind: Kind,
    size: usize,
    version: u32,
}

#[derive(Serialize)]
struct Stats {
    bytes: usize,
    keys: usize,
    largest: Option<String>,
}

/// A stored value.
pub struct Entry {
    value: Vec<u8>,
    kind: Kind,
    version: u32,
}

/// The state: entries by key.
pub type Store = BTreeMap<String, Entry>;

/// The store's protocol, writing to `W` (a port's output, or a `Vec` for
/// `Protocol::call_packet`).
pub fn protocol<W: Write>() -> Protocol<W, Stateful<Store>> {
    let mut proto = Protocol::with_state(Store::new());
    proto.handle_borrowed("put", |store: &mut Store, key: &str, value: &[u8], opts: PutOpts| {
        if value.len() > MAX_VALUE {
            return Err(KvError::TooLarge(MAX_VALUE));
        }
        let version = store.get(key).map_or(1, |e| e.version + 1);
        let kind = opts.kind.unwrap_or_default();
        store.insert(key.to_string(), Entry { value: value.to_vec(), kind, version });
        Ok(version)
    });
    proto.handle("get", |store: &mut Store, key: String| {
        store.get(&key).map(|e| ByteBuf::from(e.value.clone())).ok_or(KvError::NotFound)
    });
    proto.handle("info", |store: &mut Store, key: String| {
        store.get(&key).map(|e| Info { kind: e.kind, size: e.value.len(), version: e.version })
    });
    proto.handle("delete", |store: &mut Store, key: String| store.remove(&key).map(drop).ok_or(KvError::NotFound));
    proto.handle("incr", |store: &mut Store, key: String, by: i64| -> Result<i64, KvError> {
        let entry = store.entry(key).or_insert(Entry { value: b"0".to_vec(), kind: Kind::Text, version: 0 });
        let n: i64 = std::str::from_utf8(&entry.value).ok().and_then(|t| t.parse().ok()).ok_or(KvError::NotANumber)?;
        let n = n.checked_add(by).ok_or(KvError::NotANumber)?;
        (entry.value, entry.version) = (n.to_string().into_bytes(), entry.version + 1);
        Ok(n)
    });
    proto.handle_borrowed("find", |store: &mut Store, query: Query<'_>| {
        let prefix = query.prefix.unwrap_or("");
        let wanted = |e: &Entry| query.kind.is_none_or(|k| k == e.kind);
        store
            .range(prefix.to_string()..)
            .take_while(|(k, _)| k.starts_with(prefix))
            .filter(|(_, e)| wanted(e))
            .map(|(k, _)| k.clone())
            .collect::<Vec<_>>()
    });
    proto.handle("stats", |store: &mut Store| {
        let largest = store.iter().max_by_key(|(_, e)| e.value.len()).map(|(k, _)| k.clone());
        Stats { bytes: store.values().map(|e| e.value.len()).sum(), keys: store.len(), largest }
    });
    proto
}
