//! Differential testing against ERTS: Erlang generates random terms and mutates their bytes
//! (flips, byte sets, truncations, extensions, splices, length-field edits); for every input
//! Erlang's `binary_to_term(B, [used])` and this decoder must give the same verdict and the
//! same bytes used, and for every accepted input our re-encoding must decode in Erlang to a
//! term `=:=` the original.
//!
//! The CI run is 20,000 inputs. The long run:
//!
//! ```sh
//! DIFF_CASES=1000000 cargo test --release -p erlport-codec --all-features --test differential -- --nocapture
//! ```

mod common;

use common::*;
use erlport_codec::{Decoder, encode_to_heapless};
use std::process::Command;

const BATCH: usize = 50_000;

#[test]
fn agrees_with_erlang_on_random_and_mutated_inputs() {
    if !erl_available() {
        return;
    }
    let total: usize = std::env::var("DIFF_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(20_000);
    let seed = std::env::var("DIFF_SEED").ok().and_then(|n| n.parse().ok()).unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() % 1_000_000
    });
    let (mut checked, mut accepted, mut reencoded) = (0, 0, 0);
    let mut batch = 0;
    while checked < total {
        let n = BATCH.min(total - checked);
        let file = temp(&format!("differential-{batch}.tsv"));
        escript(&["differential", &n.to_string(), &(seed + batch as u64).to_string(), file.to_str().unwrap()]);
        let cases = parse(&std::fs::read_to_string(&file).unwrap());
        check_all(&cases);
        // Re-encode what we accepted; Erlang must read back the same term.
        let mut lines = String::new();
        for case in cases.iter().filter(|c| c.ok) {
            let mut scratch = scratch_for(&case.input);
            let Ok((term, used)) = Decoder::new().scratch(&mut scratch).decode_prefix(&case.input) else { continue };
            let mut again = vec![0u8; erlport_codec::encoded_len(&term).expect("a view encodes")];
            erlport_codec::encode(&term, &mut again).expect("encoded_len is exact");
            lines.push_str(&hex_of(&case.input[..used]));
            lines.push('\t');
            lines.push_str(&hex_of(&again));
            lines.push('\n');
            accepted += 1;
        }
        let re = temp(&format!("reencoded-{batch}.tsv"));
        std::fs::write(&re, &lines).unwrap();
        let script = fixtures_dir().join("erlang/decode_fixtures.escript");
        let out = Command::new("escript").arg(script).args(["reencoded", re.to_str().unwrap()]).output().unwrap();
        let report = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "Erlang reads our re-encodings differently:\n{report}");
        reencoded += lines.lines().count();
        checked += cases.len();
        batch += 1;
    }
    // Keep the heapless path honest too: a small term through a fixed buffer.
    assert_eq!(encode_to_heapless::<8, _>(&1u8).unwrap().as_slice(), &[131, 97, 1]);
    eprintln!(
        "differential run, seed {seed}: {checked} inputs, same verdict and bytes used as ERTS; \
         {accepted} accepted, {reencoded} re-encodings read back =:= by Erlang"
    );
    assert!(checked >= total);
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}
