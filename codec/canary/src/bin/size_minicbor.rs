//! For comparison: minicbor decoding and walking (every token) a CBOR value like the term of
//! size_decode_walk: {"name": "sensor", "ok": [true, 2.5], "values": [1, 2, 300]}.
#![no_std]
#![no_main]

use minicbor::data::Token;

const INPUT: [u8; 40] = [
    0xa3, 0x64, b'n', b'a', b'm', b'e', 0x66, b's', b'e', b'n', b's', b'o', b'r', 0x62, b'o', b'k', 0x82, 0xf5, 0xfb,
    0x40, 0x04, 0, 0, 0, 0, 0, 0, 0x66, b'v', b'a', b'l', b'u', b'e', b's', 0x83, 0x01, 0x02, 0x19, 0x01, 0x2c,
];

fn work() -> i64 {
    let input = core::hint::black_box(INPUT);
    let mut decoder = minicbor::Decoder::new(&input);
    let mut total = 0;
    for token in decoder.tokens() {
        total += match token {
            Ok(Token::U8(n)) => i64::from(n),
            Ok(Token::U16(n)) => i64::from(n),
            Ok(Token::Map(_) | Token::Array(_)) => 0,
            Ok(_) => 1000,
            Err(_) => return -1,
        };
    }
    total
}

#[cortex_m_rt::entry]
fn main() -> ! {
    // Six other leaves and 1 + 2 + 300, as size_decode_walk.
    erlport_codec_canary::measure(work, 6303)
}
