//! Decodes every packet into a view and re-encodes it: replies `{ok, Term}`, or
//! `{error, Reason}` (erlport's shapes: `{decode, <<"what, at byte N">>}`,
//! `{packet_too_large, Len, Max}`, `{reply_too_large, Len, Max}`) when the packet is not a term
//! Erlang would accept, is over the limit, or the reply does not fit the packet size. A bad
//! packet never ends it.
//!
//! Packet 4 over stdio by default; `--packet 1|2`, `--fds`, `--compressed N`, `--max-packet N`.

mod common;

use erlport::Error;
use erlport::codec::Atom;

fn main() {
    let mut port = common::port_from_args(4);
    let sender = port.sender();
    loop {
        let result = match port.read() {
            Ok(Some(term)) => match sender.send(&(Atom::new("ok"), term)) {
                Err(e) if !e.is_fatal() => sender.send_error(&e),
                other => other,
            },
            Ok(None) => return,
            Err(e) if !e.is_fatal() => sender.send_error(&e),
            Err(e) => Err(e),
        };
        match result {
            Ok(()) => {}
            // Erlang closed the port while the reply was on its way.
            Err(Error::Io(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => return,
            Err(e) => {
                log::error!("echo stopped: {e}");
                std::process::exit(1)
            }
        }
    }
}
