//! The test's end of a port: it plays Erlang over pipes to a protocol running on a thread
//! (shared by the tests that need it; each uses what it needs).
#![allow(dead_code)]

use erlport::codec::{decode, to_vec};
use erlport::{ConcurrentProtocol, PacketSize, Port};
use std::io::{PipeReader, PipeWriter, Read, Write};
use std::thread::JoinHandle;
use std::time::Duration;

/// The Erlang end of a port running `proto` on a thread.
pub struct Erlang {
    pub to_rust: Option<PipeWriter>,
    pub from_rust: PipeReader,
    pub rust: Option<JoinHandle<Result<(), erlport::Error>>>,
}

impl Erlang {
    pub fn start(proto: ConcurrentProtocol<PipeWriter>) -> Self {
        Erlang::start_with(proto, |port| port)
    }

    /// With the port set up by `setup` (a size limit, say).
    pub fn start_with(
        mut proto: ConcurrentProtocol<PipeWriter>,
        setup: impl FnOnce(Port<PipeReader, PipeWriter>) -> Port<PipeReader, PipeWriter> + Send + 'static,
    ) -> Self {
        let (input, to_rust) = std::io::pipe().unwrap();
        let (from_rust, output) = std::io::pipe().unwrap();
        let rust = std::thread::spawn(move || proto.run(setup(Port::new(input, output, PacketSize::Four))));
        Erlang { to_rust: Some(to_rust), from_rust, rust: Some(rust) }
    }

    pub fn send_bytes(&mut self, body: &[u8]) {
        let pipe = self.to_rust.as_mut().unwrap();
        pipe.write_all(&(body.len() as u32).to_be_bytes()).unwrap();
        pipe.write_all(body).unwrap();
    }

    /// Sends a frame in pieces cut at the offsets `cuts` (into header and body), each
    /// written on its own after a pause, so Rust's reads end where the cuts are.
    pub fn send_in_pieces(&mut self, body: &[u8], cuts: &[usize]) {
        let mut frame = (body.len() as u32).to_be_bytes().to_vec();
        frame.extend_from_slice(body);
        let pipe = self.to_rust.as_mut().unwrap();
        let mut from = 0;
        for &cut in cuts.iter().chain([&frame.len()]) {
            pipe.write_all(&frame[from..cut]).unwrap();
            pipe.flush().unwrap();
            std::thread::sleep(Duration::from_millis(20));
            from = cut;
        }
    }

    pub fn send<T: serde::Serialize>(&mut self, term: &T) {
        self.send_bytes(&to_vec(term).unwrap());
    }

    /// The next packet from Rust, as text (`~w`).
    pub fn receive(&mut self) -> String {
        decode(&read_packet(&mut self.from_rust)).unwrap().to_string()
    }

    /// Closes the input; what `run` returned.
    pub fn close(mut self) -> Result<(), erlport::Error> {
        drop(self.to_rust.take());
        self.rust.take().unwrap().join().unwrap()
    }
}

/// The body of the next `{packet, 4}` frame.
pub fn read_packet(pipe: &mut impl Read) -> Vec<u8> {
    let mut len = [0; 4];
    pipe.read_exact(&mut len).unwrap();
    let mut body = vec![0; u32::from_be_bytes(len) as usize];
    pipe.read_exact(&mut body).unwrap();
    body
}
