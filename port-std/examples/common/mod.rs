//! Command-line options shared by the examples: `--packet 1|2|4`, `--fds` (read fd 3, write
//! fd 4, as Erlang's `nouse_stdio`), `--compressed 0..9`, `--max-packet BYTES`, `--nil` (`None`
//! is written `nil`, for Elixir callers), and for the concurrent `jobs`: `--threads N`,
//! `--grace MS`, `--async`. Also sets up logging to stderr (`RUST_LOG=debug` for more than errors).

use erlport::{Compression, PacketSize, Port};
use std::fs::File;

/// The options only the concurrent example reads.
#[allow(dead_code)]
#[derive(Default)]
pub struct Concurrency {
    /// `--threads N`: handlers at once.
    pub threads: Option<usize>,
    /// `--async`: the async handlers (feature `tokio`).
    pub asynchronous: bool,
    /// `--grace MS`: how long handlers may run after the input ends.
    pub grace_ms: Option<u64>,
}

#[allow(dead_code)]
pub fn port_from_args(default_packet: u8) -> Port<File, File> {
    port_and_concurrency(default_packet).0
}

pub fn port_and_concurrency(default_packet: u8) -> (Port<File, File>, Concurrency) {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("error")).init();
    let mut packet = default_packet;
    let mut fds = false;
    let mut compression = None;
    let mut max_packet = None;
    let mut nil = false;
    let mut concurrency = Concurrency::default();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--packet" => packet = args.next().and_then(|n| n.parse().ok()).unwrap_or_else(|| usage()),
            "--fds" => fds = true,
            "--nil" => nil = true,
            "--async" => concurrency.asynchronous = true,
            "--grace" => {
                concurrency.grace_ms = Some(args.next().and_then(|n| n.parse().ok()).unwrap_or_else(|| usage()))
            }
            "--threads" => {
                concurrency.threads = Some(args.next().and_then(|n| n.parse().ok()).unwrap_or_else(|| usage()))
            }
            "--compressed" => {
                compression = args.next().and_then(|n| n.parse().ok()).and_then(Compression::new).or_else(|| usage())
            }
            "--max-packet" => max_packet = Some(args.next().and_then(|n| n.parse().ok()).unwrap_or_else(|| usage())),
            _ => usage(),
        }
    }
    let packet = PacketSize::new(packet).unwrap_or_else(|| usage());
    let port = if fds { Port::fds(packet) } else { Port::stdio(packet) };
    let mut port = port.unwrap_or_else(|e| {
        let how = if fds { "fds 3 and 4 (start me with nouse_stdio)" } else { "stdin and stdout" };
        log::error!("cannot use {how}: {e}");
        std::process::exit(2)
    });
    if let Some(level) = compression {
        port = port.compressed(level);
    }
    if let Some(max) = max_packet {
        port = port.max_packet(max);
    }
    (port.none_as_nil(nil), concurrency)
}

fn usage() -> ! {
    eprintln!(
        "usage: [--packet 1|2|4] [--fds] [--compressed 0..9] [--max-packet BYTES] [--nil] [--threads N] [--grace MS] [--async]"
    );
    std::process::exit(2)
}
