//! Shared by the tests that compare this codec with Erlang: the fixture format, the check of
//! one case, and the documented deliberate differences from ERTS 25.
#![allow(dead_code)]

use erlport_codec::{DecodeErrorKind, Decoder, Term, compressed_size, decode};
use std::path::{Path, PathBuf};
use std::process::Command;

pub struct Case {
    pub line: usize,
    pub input: Vec<u8>,
    pub ok: bool,
    pub used: Option<usize>,
    pub display: Option<String>,
    pub label: String,
}

pub fn hex(text: &str) -> Vec<u8> {
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex")).collect()
}

pub fn parse(text: &str) -> Vec<Case> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.is_empty())
        .map(|(i, line)| {
            let fields: Vec<&str> = line.splitn(5, '\t').collect();
            assert_eq!(fields.len(), 5, "line {}: {line}", i + 1);
            Case {
                line: i + 1,
                input: hex(fields[0]),
                ok: match fields[1] {
                    "ok" => true,
                    "error" => false,
                    other => panic!("line {}: verdict {other}", i + 1),
                },
                used: fields[2].parse().ok(),
                display: (fields[3] != "-").then(|| fields[3].to_string()),
                label: fields[4].to_string(),
            }
        })
        .collect()
}

pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests")
}

/// Where this project differs from ERTS 25 on purpose (see the crate documentation).
pub fn deliberate_rejection(case: &Case, kind: DecodeErrorKind, offset: usize) -> bool {
    match kind {
        DecodeErrorKind::UnsupportedTag => matches!(case.input.get(offset), Some(73 | 75)),
        DecodeErrorKind::BadFloatText => {
            case.input.get(offset + 1..offset + 32).is_some_and(|field| !field.contains(&0))
        }
        // ETF.md: OTP 25 reads a word past a reference of 0 words; we reject 0 words.
        DecodeErrorKind::BadReferenceLength { len: 0 } => true,
        // Without `alloc`, large unordered maps and deeply nested multi-key maps are refused.
        DecodeErrorKind::NeedsAlloc => !cfg!(feature = "alloc"),
        _ => false,
    }
}

/// A scratch buffer for the compressed term at the start of `input`, if it is one.
pub fn scratch_for(input: &[u8]) -> Vec<u8> {
    vec![0u8; compressed_size(input).map_or(0, |n| (n as usize).min(64 << 20))]
}

pub fn check(case: &Case) -> Result<(), String> {
    let mut scratch = scratch_for(&case.input);
    let ours = Decoder::new().scratch(&mut scratch).decode_prefix(&case.input);
    let at = |what: String| format!("line {} ({}): {what}; input {:02x?}", case.line, case.label, short(&case.input));
    match (case.ok, ours) {
        (true, Ok((term, used))) => {
            if Some(used) != case.used {
                return Err(at(format!("used {used}, Erlang used {:?}", case.used)));
            }
            if let Some(display) = &case.display {
                let text = term.to_string();
                // Display elides below MAX_DISPLAY_DEPTH levels as `...`.
                let elided = text.contains("...") && matches_with_elisions(&text, display);
                // Maps over 32 pairs print in the order written; ERTS's order depends on its atom
                // table (crate docs): the same characters, in another order.
                let reordered = has_large_map(&term) && same_characters(&text, display);
                if &text != display && !elided && !reordered {
                    return Err(at(format!("displays as\n  {text}\nErlang ~w gives\n  {display}")));
                }
            }
            let mut scratch = scratch_for(&case.input);
            let whole = Decoder::new().scratch(&mut scratch).decode(&case.input);
            if case.input.get(1) != Some(&80) {
                assert_eq!(decode(&case.input).is_ok(), whole.is_ok());
            }
            match (used == case.input.len(), whole) {
                (true, Ok(_)) => {}
                (false, Err(e)) if matches!(e.kind(), DecodeErrorKind::TrailingBytes { .. }) && e.offset() == used => {}
                (_, other) => {
                    return Err(at(format!("decode gives {other:?} with {used} of {} used", case.input.len())));
                }
            }
            Ok(())
        }
        (false, Err(_)) => Ok(()),
        (true, Err(e)) if deliberate_rejection(case, e.kind(), e.offset()) => Ok(()),
        (true, Err(e)) => Err(at(format!("Erlang accepts, we reject: {e}"))),
        (false, Ok(_)) if case.label.starts_with("deviation: 0.0 and -0.0") => Ok(()),
        // A VM range-checks pids, ports and references of its own node (`nonode@nohost`,
        // creation 0); a codec is not a node (ETF.md).
        (false, Ok((term, _))) if has_local_node_identifier(&term) => Ok(()),
        (false, Ok((term, used))) => {
            Err(at(format!("Erlang rejects, we accept {used} bytes as {}", truncate(&term.to_string()))))
        }
    }
}

/// Whether the term holds a map of more than 32 pairs.
pub fn has_large_map(term: &Term<'_>) -> bool {
    term.walk().any(|v| matches!(v.term(), Some(Term::Map(m)) if m.len() > 32))
}

fn same_characters(a: &str, b: &str) -> bool {
    let sorted = |s: &str| {
        let mut chars: Vec<char> = s.chars().collect();
        chars.sort_unstable();
        chars
    };
    sorted(a) == sorted(b)
}

pub fn has_local_node_identifier(term: &Term<'_>) -> bool {
    let local = |node: &erlport_codec::Atom<'_>, creation: u32| *node == "nonode@nohost" && creation == 0;
    match term {
        Term::Pid(pid) => local(&pid.node(), pid.creation()),
        Term::Port(port) => local(&port.node(), port.creation()),
        Term::Reference(reference) => local(&reference.node(), reference.creation()),
        Term::Tuple(tuple) => tuple.iter().any(|t| has_local_node_identifier(&t)),
        Term::List(list) => {
            let mut iter = list.iter();
            iter.by_ref().any(|t| has_local_node_identifier(&t)) || has_local_node_identifier(&iter.tail())
        }
        Term::Map(map) => map.iter().any(|(k, v)| has_local_node_identifier(&k) || has_local_node_identifier(&v)),
        Term::Fun(fun) => {
            has_local_node_identifier(&fun.pid()) || fun.free_variables().any(|t| has_local_node_identifier(&t))
        }
        _ => false,
    }
}

/// Whether `ours`, where `...` stands for subterms too deep to print, is `erlang` with some
/// subterms left out: its pieces between the `...`s appear in order, the first at the start
/// and the last at the end.
pub fn matches_with_elisions(ours: &str, erlang: &str) -> bool {
    let pieces: Vec<&str> = ours.split("...").collect();
    let (first, last) = (pieces[0], pieces[pieces.len() - 1]);
    if !erlang.starts_with(first) || !erlang.ends_with(last) || erlang.len() < first.len() + last.len() {
        return false;
    }
    let mut rest = &erlang[first.len()..erlang.len() - last.len()];
    for piece in &pieces[1..pieces.len() - 1] {
        match rest.find(piece) {
            Some(at) => rest = &rest[at + piece.len()..],
            None => return false,
        }
    }
    true
}

pub fn short(input: &[u8]) -> &[u8] {
    &input[..input.len().min(64)]
}

pub fn truncate(text: &str) -> String {
    text.chars().take(200).collect()
}

pub fn check_all(cases: &[Case]) {
    let failures: Vec<String> = cases.iter().filter_map(|case| check(case).err()).collect();
    assert!(failures.is_empty(), "{} of {} cases disagree with Erlang:\n{}", failures.len(), cases.len(), {
        let shown: Vec<&str> = failures.iter().take(20).map(String::as_str).collect();
        shown.join("\n")
    });
}

pub fn erl_available() -> bool {
    let found = Command::new("escript").arg("-h").output().is_ok()
        && Command::new("erl").args(["-noshell", "-eval", "halt()."]).status().is_ok_and(|s| s.success());
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must install Erlang (erlang-nox): these tests may not skip there"
        );
        eprintln!("erl not found: skipping the live Erlang comparison (install erlang-nox to run it)");
    }
    found
}

/// Runs `tests/erlang/encode_check.escript` over `lines` (`Mode<TAB>Hex<TAB>Text`) and requires
/// all `expected` of them to pass.
pub fn encode_check(name: &str, lines: &str, expected: usize) {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("encode-check");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(name);
    std::fs::write(&file, lines).unwrap();
    let script = fixtures_dir().join("erlang/encode_check.escript");
    let out = Command::new("escript").arg(script).arg(&file).output().expect("escript");
    let report = String::from_utf8_lossy(&out.stdout);
    eprintln!("{report}");
    assert!(out.status.success(), "Erlang disagrees:\n{report}{}", String::from_utf8_lossy(&out.stderr));
    assert!(report.contains(&format!("{expected} passed, 0 failed")), "{report}");
}

/// Bytes as upper-case hex, as the escripts read them.
pub fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

pub fn escript(args: &[&str]) {
    let script = fixtures_dir().join("erlang/decode_fixtures.escript");
    let output = Command::new("escript").arg(&script).args(args).output().expect("run escript");
    assert!(output.status.success(), "escript {args:?}: {}", String::from_utf8_lossy(&output.stderr));
}

pub fn temp(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("erlang-fixtures");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// `#{Key => Value, ...}` with atom keys, in the order given.
#[cfg(all(feature = "serde", feature = "std"))]
pub fn atom_map(pairs: &[(&str, Term<'_>)]) -> Vec<u8> {
    erlport_codec::to_vec(&erlport_codec::MapFrom(pairs.iter().map(|(k, v)| (erlport_codec::Atom::new(k), *v))))
        .unwrap()
}

/// A file under this test target's own temporary directory.
pub fn tmp(name: &str) -> std::path::PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("typed");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// Erlang's bytes for each text, in order (`tests/erlang/write_terms.escript`).
pub fn erlang_writes(texts: &[&str]) -> Vec<Vec<u8>> {
    // A file of its own for each call: tests run at once.
    static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let file = tmp(&format!("texts{}", CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)));
    std::fs::write(&file, texts.join("\n")).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/erlang/write_terms.escript");
    let out = Command::new("escript").arg(script).arg(&file).output().expect("escript");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let written = std::fs::read_to_string(file.with_extension("out")).unwrap();
    let lines: Vec<&str> = written.lines().collect();
    assert_eq!(lines.len(), texts.len());
    lines
        .iter()
        .zip(texts)
        .map(|(line, text)| {
            assert!(!line.starts_with("error"), "{text}: {line}");
            hex(line)
        })
        .collect()
}
