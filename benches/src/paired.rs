//! Each way of reading (and writing) against ERTS alone, timed in turns: ours for about
//! 50 ms, then ERTS (a VM kept running, `erts_bench.escript serve`) for about 50 ms, eleven
//! times per input. The ratio of each turn is taken on its own and the median given. Timed
//! apart (minutes apart, as criterion and the ERTS script run), the two sides can land in
//! different phases of a shared machine, whose speed swings up to 2x; in turns, they share
//! them.
//!
//! The ways, each against what an Erlang user pays for the same job:
//! - `walk`: decode + `Term::walk`, against `binary_to_term/1`;
//! - `recursive`: decode + recursion over the views (`match`, `iter()`), against
//!   `binary_to_term/1`;
//! - `indexed`: `decode_indexed` + the same recursion over the views it hands out, against
//!   `binary_to_term/1`;
//! - `from_bytes` (input b): serde into `Vec<UserRef<'a>>`, borrowing, against
//!   `binary_to_term/1`;
//! - `encode` (input b): `Vec<User>` through the `Encoder`, against `term_to_binary/1`;
//! - `to_slice` (input b): `Vec<UserRef>` through serde, against `term_to_binary/1`.
//!
//! Usage: `paired [DATA_DIR [LARGE_DIR]]` (LARGE_DIR holds e.etf and f.etf, which
//! `scripts/bench` makes). Prints one line per way and input:
//! `paired <way> <input> <ratio> <ours ns> <erts ns> <lowest ratio> <highest ratio>`, the
//! medians of the turns, then the range of the ratios.

use erlport_benches::{User, UserRef, decode_indexed_walk, decode_walk, walk, walk_recursive};
use std::hint::black_box;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const TURNS: usize = 11;
const TURN: Duration = Duration::from_millis(50);

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// The ERTS side: a VM answering `time`/`iterations` (binary_to_term) and
/// `encode_time`/`encode_iterations` (term_to_binary) requests, a line each.
struct Erts {
    to: std::process::ChildStdin,
    from: BufReader<std::process::ChildStdout>,
}

impl Erts {
    fn ask(&mut self, line: String) -> f64 {
        writeln!(self.to, "{line}").expect("the ERTS script reads");
        let mut answer = String::new();
        self.from.read_line(&mut answer).expect("the ERTS script answers");
        answer.trim().parse().unwrap_or_else(|_| panic!("the ERTS script answered {answer:?} to {line:?}"))
    }
}

/// Times `ours` (nanoseconds a round for `n` rounds) against ERTS's `job` on `name`, in turns,
/// and prints the line. `false` once stdout is gone.
fn paired(erts: &mut Erts, way: &str, name: &str, job: &str, ours: &mut dyn FnMut(u64) -> f64) -> bool {
    let mut iterations = 1u64;
    while ours(iterations) * (iterations as f64) < TURN.as_nanos() as f64 {
        iterations *= 2;
    }
    let (time, count) = match job {
        "encode" => ("encode_time", "encode_iterations"),
        _ => ("time", "iterations"),
    };
    let erts_iterations = erts.ask(format!("{count} {name}")) as u64;
    let (mut ratios, mut ours_ns, mut erts_ns) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..TURNS {
        let o = ours(iterations);
        let e = erts.ask(format!("{time} {name} {erts_iterations}"));
        ratios.push(e / o);
        ours_ns.push(o);
        erts_ns.push(e);
    }
    let ratio = median(&mut ratios);
    let line = format!(
        "paired {way} {name} {ratio:.2} {:.0} {:.0} {:.2} {:.2}",
        median(&mut ours_ns),
        median(&mut erts_ns),
        ratios[0],
        ratios[TURNS - 1]
    );
    writeln!(std::io::stdout(), "{line}").is_ok()
}

/// Nanoseconds a round of `round`, over `n` rounds, after one to warm up (as the ERTS side
/// is warm: the input back in the cache after the other side's turn).
fn timed(n: u64, mut round: impl FnMut() -> u64) -> f64 {
    black_box(round());
    let start = Instant::now();
    for _ in 0..n {
        black_box(round());
    }
    start.elapsed().as_nanos() as f64 / n as f64
}

fn main() {
    let mut args = std::env::args().skip(1);
    let data = args.next().unwrap_or_else(|| concat!(env!("CARGO_MANIFEST_DIR"), "/data").to_string());
    let large = args.next();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/erts_bench.escript");
    let mut child = Command::new("escript")
        .arg(script)
        .arg("serve")
        .arg(&data)
        .args(large.iter())
        // Its schedulers sleep when idle instead of spinning through our turn.
        .env("ERL_FLAGS", "+sbwt none +sbwtdcpu none +sbwtdio none")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("escript (scripts/setup installs Erlang)");
    let mut erts =
        Erts { to: child.stdin.take().expect("piped"), from: BufReader::new(child.stdout.take().expect("piped")) };
    let mut names = vec![("a", data.clone()), ("b", data.clone()), ("c", data.clone()), ("d", data.clone())];
    if let Some(large) = &large {
        names.extend([("e", large.clone()), ("f", large.clone())]);
    }
    'inputs: for (name, dir) in names {
        let bytes = std::fs::read(format!("{dir}/{name}.etf")).expect("input");
        let mut scratch = vec![0u8; erlport_codec::compressed_size(&bytes).unwrap_or(0) as usize];
        for (way, walker) in [("walk", walk as fn(&erlport_codec::Term<'_>) -> u64), ("recursive", walk_recursive)] {
            let mut ours = |n| timed(n, || decode_walk(black_box(&bytes), &mut scratch, walker));
            if !paired(&mut erts, way, name, "decode", &mut ours) {
                break 'inputs;
            }
        }
        let mut words = Vec::new();
        let mut indexed =
            |n| timed(n, || decode_indexed_walk(black_box(&bytes), &mut scratch, &mut words, walk_recursive));
        if !paired(&mut erts, "indexed", name, "decode", &mut indexed) {
            break 'inputs;
        }
        if name != "b" {
            continue;
        }
        let mut from_bytes = |n| {
            timed(n, || erlport_codec::from_bytes::<Vec<UserRef>>(black_box(&bytes)).expect("b reads").len() as u64)
        };
        let users = User::input_b();
        let borrowed: Vec<UserRef> = erlport_codec::from_bytes(&bytes).expect("b reads");
        let mut out = vec![0u8; bytes.len() * 2];
        let mut encode = |n| timed(n, || erlport_codec::encode(black_box(&users[..]), &mut out).expect("fits") as u64);
        let mut out = vec![0u8; bytes.len() * 2];
        let mut to_slice =
            |n| timed(n, || erlport_codec::to_slice(black_box(&borrowed), &mut out).expect("fits") as u64);
        let ok = paired(&mut erts, "from_bytes", name, "decode", &mut from_bytes)
            && paired(&mut erts, "encode", name, "encode", &mut encode)
            && paired(&mut erts, "to_slice", name, "encode", &mut to_slice);
        if !ok {
            break;
        }
    }
    drop(erts);
    let _ = child.wait();
}
