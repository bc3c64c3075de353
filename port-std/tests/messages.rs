//! Messages both ways through a `ConcurrentProtocol`, with the test playing Erlang over pipes:
//! `{message, Msg}` into the message handler (typed, or dropped), `{send, To, Msg}` out of a
//! handler and out of an `Outbox`, and the server's pid from the hello.

use erlport::codec::{Atom, Term, to_vec};
use erlport::{ConcurrentProtocol, Context, OwnedTerm};
use serde::Deserialize;
use std::sync::mpsc;

mod pipes;
use pipes::Erlang;

/// `{hello, 1, #{server => <0.42.0>}}`, as `erlport_rs` writes it.
fn hello_with_server() -> Vec<u8> {
    let mut bytes = vec![131, 104, 3, 119, 5];
    bytes.extend_from_slice(b"hello");
    bytes.extend_from_slice(&[97, 1, 116, 0, 0, 0, 1, 119, 6]);
    bytes.extend_from_slice(b"server");
    bytes.extend_from_slice(&[88, 119, 13]);
    bytes.extend_from_slice(b"nonode@nohost");
    bytes.extend_from_slice(&[0, 0, 0, 42, 0, 0, 0, 0, 0, 0, 0, 0]);
    bytes
}

/// `{message, Msg}`.
fn message<T: serde::Serialize>(msg: &T) -> Vec<u8> {
    to_vec(&(Atom::new("message"), msg)).unwrap()
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum Info {
    Echo(OwnedTerm, i64),
    Stop,
}

#[test]
fn messages_reach_the_handler_typed_and_sends_go_out() {
    let (seen, saw) = mpsc::channel();
    let mut proto = ConcurrentProtocol::new();
    proto.on_message(move |ctx: Context, info: Info| match info {
        Info::Echo(to, n) => ctx.send(&to, &(Atom::new("echo"), n)),
        Info::Stop => {
            seen.send(ctx.server()).unwrap();
            Ok(())
        }
    });
    proto.handle("add", |a: i64, b: i64| a + b);
    let mut erlang = Erlang::start(proto);
    erlang.send_bytes(&hello_with_server());
    assert!(erlang.receive().starts_with("{hello,1,"));
    erlang.send_bytes(&message(&(Atom::new("echo"), Atom::new("someone"), 7)));
    assert_eq!(erlang.receive(), "{send,someone,{echo,7}}");
    // Not of a kind the handler reads, and not a tuple at all: dropped, nothing answered.
    erlang.send_bytes(&message(&(Atom::new("unknown"), 1)));
    erlang.send_bytes(&message(&42));
    erlang.send_bytes(&message(&Atom::new("stop")));
    let server = saw.recv().unwrap().expect("the hello said the server's pid");
    assert!(matches!(server.term(), Term::Pid(_)), "{}", server.term());
    assert!(server.term().to_string().contains(".42."), "{}", server.term());
    // The next packet is the reply to this call: nothing was written for the three above.
    erlang.send_bytes(&to_vec(&(Atom::new("call"), 1, Atom::new("add"), vec![1, 2])).unwrap());
    assert_eq!(erlang.receive(), "{reply,1,3}");
    erlang.close().unwrap();
}

#[test]
fn without_a_message_handler_messages_are_dropped() {
    let mut proto = ConcurrentProtocol::new();
    proto.handle("add", |a: i64, b: i64| a + b);
    let mut erlang = Erlang::start(proto);
    for _ in 0..100 {
        erlang.send_bytes(&message(&(Atom::new("anything"), 1)));
    }
    erlang.send_bytes(&to_vec(&(Atom::new("call"), 1, Atom::new("add"), vec![2, 2])).unwrap());
    assert_eq!(erlang.receive(), "{reply,1,4}");
    erlang.close().unwrap();
}

#[test]
fn an_outbox_sends_while_run_serves_and_fails_before_and_after() {
    let mut proto = ConcurrentProtocol::new();
    let outbox = proto.outbox();
    assert!(matches!(outbox.send(&Atom::new("anyone"), &1), Err(erlport::Error::Cancelled)));
    assert!(outbox.server().is_none());
    let (ready, is_ready) = mpsc::channel();
    proto.handle("ready", move || ready.send(()).unwrap());
    let mut erlang = Erlang::start(proto);
    erlang.send_bytes(&hello_with_server());
    assert!(erlang.receive().starts_with("{hello,1,"));
    // A call answered: run is serving (and the hello, read before it, said the server).
    erlang.send_bytes(&to_vec(&(Atom::new("cast"), Atom::new("ready"), Vec::<i64>::new())).unwrap());
    is_ready.recv().unwrap();
    let from_a_thread = outbox.clone();
    std::thread::spawn(move || from_a_thread.send(&Atom::new("logger"), &(Atom::new("tick"), 1)).unwrap())
        .join()
        .unwrap();
    assert_eq!(erlang.receive(), "{send,logger,{tick,1}}");
    assert!(matches!(outbox.server().map(|s| s.term().to_string()), Some(s) if s.contains(".42.")));
    erlang.close().unwrap();
    assert!(matches!(outbox.send(&Atom::new("anyone"), &1), Err(erlport::Error::Cancelled)));
}
