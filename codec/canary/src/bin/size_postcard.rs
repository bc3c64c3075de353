//! For comparison: postcard (serde) decoding a struct like the term of size_decode_walk.
#![no_std]
#![no_main]

#[derive(serde::Deserialize)]
struct Reading<'a> {
    name: &'a str,
    ok: (bool, f64),
    values: [u16; 3],
}

fn work() -> i64 {
    // name "sensor", ok (true, 2.5), values [1, 2, 300] (varints).
    let input =
        core::hint::black_box([6u8, b's', b'e', b'n', b's', b'o', b'r', 1, 0, 0, 0, 0, 0, 0, 4, 64, 1, 2, 0xac, 0x02]);
    match postcard::from_bytes::<Reading<'_>>(&input) {
        Ok(r) => {
            let others = 3 + r.name.len() as i64 / 6 + i64::from(r.ok.0) + i64::from(r.ok.1 == 2.5);
            others * 1000 + r.values.iter().map(|&v| i64::from(v)).sum::<i64>()
        }
        Err(_) => -1,
    }
}

#[cortex_m_rt::entry]
fn main() -> ! {
    erlport_codec_canary::measure(work, 6303)
}
