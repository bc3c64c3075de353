//! Decode plus full walk against ERTS's `binary_to_term/1` alone, timed in turns: ours for
//! about 50 ms, then ERTS (a VM kept running, `erts_bench.escript serve`) for about 50 ms,
//! eleven times per input. The ratio of each turn is taken on its own and the median given.
//! Timed apart (minutes apart, as criterion and the ERTS script run), the two sides can land
//! in different phases of a shared machine, whose speed swings up to 2x; in turns, they share
//! them.
//!
//! Usage: `paired [DATA_DIR [LARGE_DIR]]` (LARGE_DIR holds e.etf and f.etf, which
//! `scripts/bench` makes). Prints one line per input:
//! `paired <input> <ratio> <ours ns> <erts ns> <lowest ratio> <highest ratio>`, the medians
//! of the turns, then the range of the ratios.

use erlport_benches::{decode_walk, walk};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const TURNS: usize = 11;
const TURN: Duration = Duration::from_millis(50);

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    let mut args = std::env::args().skip(1);
    let data = args.next().unwrap_or_else(|| concat!(env!("CARGO_MANIFEST_DIR"), "/data").to_string());
    let large = args.next();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/erts_bench.escript");
    let mut erts = Command::new("escript")
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
    let mut to_erts = erts.stdin.take().expect("piped");
    let mut from_erts = BufReader::new(erts.stdout.take().expect("piped"));
    let mut ask = |line: String| -> f64 {
        writeln!(to_erts, "{line}").expect("the ERTS script reads");
        let mut answer = String::new();
        from_erts.read_line(&mut answer).expect("the ERTS script answers");
        answer.trim().parse().unwrap_or_else(|_| panic!("the ERTS script answered {answer:?} to {line:?}"))
    };
    let mut names = vec![("a", data.clone()), ("b", data.clone()), ("c", data.clone()), ("d", data.clone())];
    if let Some(large) = &large {
        names.extend([("e", large.clone()), ("f", large.clone())]);
    }
    for (name, dir) in names {
        let bytes = std::fs::read(format!("{dir}/{name}.etf")).expect("input");
        let mut scratch = vec![0u8; erlport_codec::compressed_size(&bytes).unwrap_or(0) as usize];
        let mut ours = |n: u64| -> f64 {
            // Warm, as the ERTS side is (it decodes once before timing): the input back in
            // the cache after the other side's turn.
            std::hint::black_box(decode_walk(&bytes, &mut scratch, walk));
            let start = Instant::now();
            for _ in 0..n {
                std::hint::black_box(decode_walk(&bytes, &mut scratch, walk));
            }
            start.elapsed().as_nanos() as f64 / n as f64
        };
        let mut iterations = 1u64;
        while ours(iterations) * (iterations as f64) < TURN.as_nanos() as f64 {
            iterations *= 2;
        }
        let erts_iterations = ask(format!("iterations {name}")) as u64;
        let (mut ratios, mut ours_ns, mut erts_ns) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..TURNS {
            let o = ours(iterations);
            let e = ask(format!("time {name} {erts_iterations}"));
            ratios.push(e / o);
            ours_ns.push(o);
            erts_ns.push(e);
        }
        let ratio = median(&mut ratios);
        let line = format!(
            "paired {name} {ratio:.2} {:.0} {:.0} {:.2} {:.2}",
            median(&mut ours_ns),
            median(&mut erts_ns),
            ratios[0],
            ratios[TURNS - 1]
        );
        if writeln!(std::io::stdout(), "{line}").is_err() {
            break;
        }
    }
    drop(to_erts);
    let _ = erts.wait();
}
