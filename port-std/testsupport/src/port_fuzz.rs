//! The packet layer's fuzz target body, run by cargo-fuzz and replayed from the committed
//! corpus by this crate's tests.

use erlport::{Error, PacketSize, Port};

/// A port reading an arbitrary byte stream (the first byte picks the packet size): every
/// packet either decodes to a term that prints, or is an error that says what was wrong; the
/// reader never panics, never allocates more than the bytes that arrived, and stops.
pub fn packet_reader(data: &[u8]) {
    let Some((&choice, stream)) = data.split_first() else { return };
    let packet = [PacketSize::One, PacketSize::Two, PacketSize::Four][usize::from(choice % 3)];
    let mut port = Port::new(stream, std::io::sink(), packet).inflate_limit(1 << 20);
    // Each packet consumes at least its header, so this ends.
    for _ in 0..=stream.len() {
        match port.read() {
            Ok(Some(term)) => {
                let _ = term.to_string();
            }
            Ok(None) => return,
            // Bad packets are skipped over: the framing is still in step.
            Err(Error::Decode(e)) => {
                let _ = e.to_string();
            }
            Err(Error::TrailingBytes { .. }) => {}
            Err(e) => {
                let _ = e.to_string();
                return;
            }
        }
    }
    panic!("the reader did not stop");
}
