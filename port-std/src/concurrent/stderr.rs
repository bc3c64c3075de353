//! The program's stderr forwarded to Erlang's `logger`, when `erlport_rs` asks for it in its
//! hello (its `{stderr, logger}` option): fd 2 becomes a pipe, and a thread sends the lines
//! read from it as `{stderr, Lines}`, a list of binaries (those that came together).

use super::*;
use std::io::{BufRead, BufReader};

/// The longest line sent whole; a longer one is sent in pieces of this size.
const MAX_LINE: u64 = 4096;

/// The most lines in one packet (at most 256 KiB with `MAX_LINE`).
const MAX_LINES: usize = 64;

/// Points fd 2 at a pipe read by a thread of its own that sends every line to Erlang (once:
/// a second hello changes nothing).
pub(super) fn forward<W: Write + Send + 'static>(shared: &Arc<Shared<W>>) {
    static FORWARDING: AtomicBool = AtomicBool::new(false);
    if FORWARDING.swap(true, Ordering::SeqCst) {
        return;
    }
    let redirected = std::io::pipe().and_then(|(reader, writer)| {
        rustix::stdio::dup2_stderr(&writer)?;
        Ok(reader)
    });
    let reader = match redirected {
        Ok(reader) => reader,
        Err(e) => {
            log::warn!("stderr stays where it was: {e}");
            return;
        }
    };
    let shared = Arc::clone(shared);
    let spawned = std::thread::Builder::new().name("erlport-stderr".into()).spawn(move || {
        let mut reader = BufReader::new(reader);
        let mut lines: Vec<Vec<u8>> = Vec::new();
        loop {
            let mut line = Vec::new();
            match (&mut reader).take(MAX_LINE).read_until(b'\n', &mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            if line.last() == Some(&b'\n') {
                line.pop();
            }
            lines.push(line);
            // The lines already read go out together, in one packet: a burst of lines is
            // one message in the server's mailbox, not one a line.
            if !reader.buffer().is_empty() && lines.len() < MAX_LINES {
                continue;
            }
            let batch: Vec<&[u8]> = lines.iter().map(Vec::as_slice).collect();
            // Once Erlang is gone the lines are still read (and dropped), so a writer never
            // blocks on a full pipe.
            let stderr = Atom::new("stderr");
            if let Err(Error::ReplyTooLarge { .. }) = shared.sender.send_encoded(&(stderr, &batch[..])) {
                // Over the packet size together: one a packet (a line still too large is lost).
                for line in &batch {
                    let _ = shared.sender.send_encoded(&(stderr, [line]));
                }
            }
            let _ = shared.sender.uncork();
            lines.clear();
        }
    });
    if let Err(e) = spawned {
        log::warn!("no thread to forward stderr: {e}");
    }
}
