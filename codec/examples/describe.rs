//! A port program that Erlang drives: it reads `{packet, 4}` frames on stdin, decodes each as
//! an external term, and answers with the term in Erlang syntax (what `~w` prints) or with the
//! reason it was refused. Run it from Erlang with `escript codec/examples/describe.escript`.

use erlport_codec::decode;
use std::io::{self, Read, Write};

fn main() -> io::Result<()> {
    let mut input = io::stdin().lock();
    let mut output = io::stdout().lock();
    let mut packet = Vec::new();
    loop {
        let mut header = [0u8; 4];
        match input.read_exact(&mut header) {
            Ok(()) => {}
            // Erlang closed the port: a clean end.
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(()),
            Err(e) => return Err(e),
        }
        packet.resize(u32::from_be_bytes(header) as usize, 0);
        input.read_exact(&mut packet)?;
        let reply = match decode(&packet) {
            Ok(term) => format!("ok {term}"),
            Err(error) => format!("error {error}"),
        };
        output.write_all(&(reply.len() as u32).to_be_bytes())?;
        output.write_all(reply.as_bytes())?;
        output.flush()?;
    }
}
