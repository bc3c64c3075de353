//! Decodes every packet into a view and re-encodes it: replies `{ok, Term}`, or
//! `{error, Reason}` (a binary saying what was wrong and where) for bytes that are not a term
//! Erlang would accept, or when the reply does not fit the packet size.
//!
//! Packet 4 over stdio by default; `--packet 1|2`, `--fds`, `--compressed N`.

mod common;

use erlport::Error;
use erlport::codec::{Atom, Decoder};

fn main() {
    let mut port = common::port_from_args(4);
    let sender = port.sender();
    let mut scratch = Vec::new();
    loop {
        let packet = match port.read_packet() {
            Ok(Some(packet)) => packet,
            Ok(None) => return,
            Err(e) => {
                eprintln!("echo: {e}");
                std::process::exit(1)
            }
        };
        let result = match Decoder::new().scratch_vec(&mut scratch).decode_prefix(packet) {
            Ok((term, used)) if used == packet.len() => sender.send(&(Atom::new("ok"), term)),
            Ok((_, used)) => {
                sender.send(&(Atom::new("error"), format!("{} bytes follow the term", packet.len() - used).as_str()))
            }
            Err(e) => sender.send(&(Atom::new("error"), e.to_string().as_str())),
        };
        match result {
            Ok(()) => {}
            Err(e @ Error::PacketTooLarge { .. }) => {
                if let Err(e) = sender.send(&(Atom::new("error"), e.to_string().as_str())) {
                    eprintln!("echo: {e}");
                    std::process::exit(1)
                }
            }
            // Erlang closed the port while the reply was on its way.
            Err(Error::Io(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => return,
            Err(e) => {
                eprintln!("echo: {e}");
                std::process::exit(1)
            }
        }
    }
}
