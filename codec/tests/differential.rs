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

/// Maps of the pairs validation reads in one tight loop (atom keys, plain leaf values) and of
/// everything next to them that must leave it: one atom in several encodings (equal keys),
/// keys out of order, atoms that are not ASCII or not UTF-8 or too long, floats that are not
/// finite, lengths and pair counts that lie. Erlang labels each; verdict and bytes used agree.
#[test]
fn maps_of_plain_pairs_agree_with_erlang() {
    if !erl_available() {
        return;
    }
    let long: Vec<u8> = [100, 1, 0].into_iter().chain([b'a'; 256]).collect();
    let keys: Vec<Vec<u8>> = vec![
        vec![100, 0, 1, b'a'],
        vec![115, 1, b'a'],
        vec![119, 1, b'a'],
        vec![118, 0, 1, b'a'],
        vec![100, 0, 1, b'b'],
        vec![119, 1, b'b'],
        vec![100, 0, 2, b'a', b'b'],
        vec![100, 0, 0],
        vec![119, 0],
        vec![100, 0, 1, 0xe9],
        vec![119, 2, 0xc3, 0xa9],
        vec![119, 1, 0xff],
        vec![119, 1, 0x80],
        vec![100, 0, 9, b'a'],
        vec![97, 1],
        [119, 8].into_iter().chain(*b"abcdefgh").collect(),
        [119, 8].into_iter().chain(*b"abcdefg\xff").collect(),
        [119, 9].into_iter().chain(*b"abcdefgh\x80").collect(),
        [119, 10].into_iter().chain(*b"abcdefgh\xc3\xa9").collect(),
        long,
    ];
    let mut values: Vec<Vec<u8>> = vec![
        vec![97, 7],
        vec![98, 0, 0, 1, 0],
        vec![70, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0],
        vec![70, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0],
        vec![70, 0x7f, 0xf0, 0, 0, 0, 0, 0, 0],
        vec![70, 0xff, 0xf0, 0, 0, 0, 0, 0, 0],
        vec![70, 0x80, 0, 0, 0, 0, 0, 0, 0],
        vec![109, 0, 0, 0, 2, b'x', b'y'],
        vec![109, 0, 0, 0, 200, b'x'],
        vec![106],
        vec![108, 0, 0, 0, 1, 97, 1, 106],
        vec![104, 0],
        vec![116, 0, 0, 0, 0],
    ];
    values.extend(keys.iter().cloned());
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = |n: usize| {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (seed >> 33) as usize % n
    };
    let mut lines = String::new();
    for i in 0..6000 {
        let pairs = 1 + next(5);
        // Mostly keys of one encoding in increasing order, as Erlang writes them.
        let ordered = next(3) > 0;
        let mut body = Vec::new();
        for p in 0..pairs {
            // Erlang before 26 writes atoms as ATOM_EXT, from 26 on as SMALL_ATOM_UTF8_EXT.
            let key = match (ordered, i % 4 < 2) {
                (true, true) => vec![100, 0, 1, b'a' + p as u8],
                (true, false) => vec![119, 1, b'a' + p as u8],
                (false, _) => keys[next(keys.len())].clone(),
            };
            body.extend(key);
            body.extend(if next(4) == 0 { &keys[next(keys.len())] } else { &values[next(values.len())] });
        }
        let said = match next(10) {
            0 => pairs + 1,
            1 => pairs - 1,
            _ => pairs,
        } as u8;
        let mut input = vec![131];
        if i % 2 == 1 {
            input.extend([108, 0, 0, 0, 1]);
        }
        input.extend([116, 0, 0, 0, said]);
        input.extend(body);
        if i % 2 == 1 {
            input.push(106);
        }
        if next(8) == 0 {
            input.truncate(input.len() - 1 - next(input.len() - 1));
        }
        lines.push_str(&format!("{}\t-\t-\t-\tplain pairs {i}\n", hex_of(&input)));
    }
    let (unlabelled, labelled) = (temp("plain-pairs-in.tsv"), temp("plain-pairs.tsv"));
    std::fs::write(&unlabelled, lines).unwrap();
    escript(&["label", unlabelled.to_str().unwrap(), labelled.to_str().unwrap()]);
    let cases = parse(&std::fs::read_to_string(&labelled).unwrap());
    assert_eq!(cases.len(), 6000);
    // Both verdicts are well represented.
    assert!(cases.iter().filter(|c| c.ok).count() > 1000);
    assert!(cases.iter().filter(|c| !c.ok).count() > 1000);
    check_all(&cases);
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}
