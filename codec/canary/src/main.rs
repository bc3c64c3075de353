//! Links the codec into a bare-metal program for a Cortex-M4F: no std, no allocator. It
//! decodes and walks a term and, with the `embedded-io` feature, sends a `{packet, 2}` round
//! trip through `packet::write` and `packet::read`; with `serde`, reads a derived struct of
//! borrowed fields (`from_bytes`) and writes one (`to_slice`); with `index`, decodes into an
//! index in words on the stack and reads by position and by key; then it reports through semihosting, so
//! it runs under QEMU (`scripts/canary`, run by `scripts/test`): exit status 0 when every
//! result is the expected one.
#![no_std]
#![no_main]

use cortex_m_rt::entry;
use cortex_m_semihosting::{debug, hprintln};
use erlport_codec::{Term, decode};
// The panic handler: report and exit with a failure.
use erlport_codec_canary as _;

#[entry]
fn main() -> ! {
    // term_to_binary({ok, [1, 2]})
    let bytes = core::hint::black_box([131u8, 104, 2, 119, 2, b'o', b'k', 107, 0, 2, 1, 2]);
    let mut sum = 0i64;
    if let Ok(Term::Tuple(tuple)) = decode(&bytes) {
        for element in tuple.iter() {
            if let Term::List(list) = element {
                sum += list.iter().filter_map(|t| t.as_i64()).sum::<i64>();
            }
        }
    }
    let decoded = check("decode and walk {ok, [1, 2]}", sum, 3);
    #[cfg(feature = "embedded-io")]
    let decoded = decoded & check("{packet, 2} round trip of {ok, 40}", packet_round_trip(), 40);
    #[cfg(feature = "serde")]
    let decoded = decoded & check("serde: from_bytes of a borrowed struct, to_slice", typed(), 3 + 37 + 2);
    #[cfg(feature = "index")]
    let decoded = decoded & check("index in a caller's words: {a, [1, 2], #{b => 3}}", indexed(), 2 + 3);
    let ok = decoded;
    debug::exit(if ok { debug::EXIT_SUCCESS } else { debug::EXIT_FAILURE });
    loop {}
}

/// `decode_indexed` into words on the stack: an element by position, a key by search.
#[cfg(feature = "index")]
fn indexed() -> i64 {
    // term_to_binary({a, [1, 2], #{b => 3}})
    let bytes = core::hint::black_box([
        131u8, 104, 3, 119, 1, b'a', 108, 0, 0, 0, 2, 97, 1, 97, 2, 106, 116, 0, 0, 0, 1, 119, 1, b'b', 97, 3,
    ]);
    let mut words = [0u32; 32];
    let Ok(index) = erlport_codec::Decoder::new().decode_indexed(&bytes, &mut words) else { return -1 };
    let Some(tuple) = index.term().as_tuple() else { return -2 };
    let second = match tuple.get(1) {
        Some(Term::List(list)) => list.get(1).and_then(|t| t.as_i64()).unwrap_or(-3),
        _ => -4,
    };
    let third = match tuple.get(2) {
        Some(Term::Map(map)) => map.get_atom("b").and_then(|t| t.as_i64()).unwrap_or(-5),
        _ => -6,
    };
    second + third
}

fn check(what: &str, got: i64, want: i64) -> bool {
    hprintln!("canary: {}: {} (want {})", what, got, want);
    got == want
}

/// `{packet, 2}` out through an `embedded_io::Write` and back through an `embedded_io::Read`.
#[cfg(feature = "embedded-io")]
fn packet_round_trip() -> i64 {
    use erlport_codec::{
        Atom,
        packet::{self, PacketSize},
    };
    let mut wire = [0u8; 32];
    let mut scratch = [0u8; 32];
    let mut out = &mut wire[..];
    if packet::write(&mut out, PacketSize::Two, &(Atom::new("ok"), core::hint::black_box(40)), &mut scratch).is_err() {
        return -1;
    }
    let mut input = &wire[..];
    let mut buf = [0u8; 32];
    match packet::read(&mut input, PacketSize::Two, &mut buf) {
        Ok(Some(body)) => match decode(body) {
            Ok(Term::Tuple(tuple)) => tuple.iter().filter_map(|t| t.as_i64()).sum(),
            _ => -1,
        },
        _ => -1,
    }
}

/// `#{name => <<"Ann">>, age => 37, tags => [<<"a">>, <<"b">>]}` read into a struct of borrowed
/// fields, without an allocator; then a struct written and read back.
#[cfg(feature = "serde")]
fn typed() -> i64 {
    #[derive(serde::Deserialize)]
    struct User<'a> {
        name: &'a str,
        age: u8,
        tags: [&'a str; 2],
    }
    #[derive(serde::Serialize, serde::Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum Reply {
        Welcome { id: u32 },
    }
    let bytes = core::hint::black_box([
        131u8, 116, 0, 0, 0, 3, 119, 3, b'a', b'g', b'e', 97, 37, 119, 4, b'n', b'a', b'm', b'e', 109, 0, 0, 0, 3,
        b'A', b'n', b'n', 119, 4, b't', b'a', b'g', b's', 108, 0, 0, 0, 2, 109, 0, 0, 0, 1, b'a', 109, 0, 0, 0, 1,
        b'b', 106,
    ]);
    let Ok(user) = erlport_codec::from_bytes::<User>(&bytes) else { return -1 };
    let mut buf = [0u8; 32];
    let Ok(n) = erlport_codec::to_slice(&Reply::Welcome { id: 2 }, &mut buf) else { return -2 };
    let Ok(Reply::Welcome { id }) = erlport_codec::from_bytes::<Reply>(&buf[..n]) else { return -3 };
    user.name.len() as i64 + i64::from(user.age) + i64::from(id) * i64::from(user.tags == ["a", "b"])
}
