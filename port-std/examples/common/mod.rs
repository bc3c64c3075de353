//! Command-line options shared by the examples: `--packet 1|2|4`, `--fds` (read fd 3, write
//! fd 4, as Erlang's `nouse_stdio`), `--compressed 0..9`.

use erlport::{Compression, PacketSize, Port};
use std::io::{Read, Write};

pub type AnyPort = Port<Box<dyn Read>, Box<dyn Write + Send>>;

pub fn port_from_args(default_packet: u8) -> AnyPort {
    let mut packet = default_packet;
    let mut fds = false;
    let mut compression = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--packet" => packet = args.next().and_then(|n| n.parse().ok()).unwrap_or_else(|| usage()),
            "--fds" => fds = true,
            "--compressed" => {
                compression = args.next().and_then(|n| n.parse().ok()).and_then(Compression::new).or_else(|| usage())
            }
            _ => usage(),
        }
    }
    let packet = PacketSize::new(packet).unwrap_or_else(|| usage());
    let port: AnyPort = if fds {
        let (input, output) = erlport::fds().unwrap_or_else(|e| {
            eprintln!("cannot open fds 3 and 4 (start me with nouse_stdio): {e}");
            std::process::exit(2)
        });
        Port::new(Box::new(input), Box::new(output), packet)
    } else {
        let (input, output) = stdio_files();
        Port::new(Box::new(input), Box::new(output), packet)
    };
    match compression {
        Some(level) => port.compressed(level),
        None => port,
    }
}

/// Stdin and stdout as plain files (unbuffered writes: one per packet).
fn stdio_files() -> (std::fs::File, std::fs::File) {
    use std::os::fd::AsFd;
    let dup = |fd: std::os::fd::BorrowedFd<'_>| fd.try_clone_to_owned().map(std::fs::File::from);
    match (dup(std::io::stdin().as_fd()), dup(std::io::stdout().as_fd())) {
        (Ok(input), Ok(output)) => (input, output),
        _ => {
            eprintln!("cannot use stdin and stdout");
            std::process::exit(2)
        }
    }
}

fn usage() -> ! {
    eprintln!("usage: [--packet 1|2|4] [--fds] [--compressed 0..9]");
    std::process::exit(2)
}
