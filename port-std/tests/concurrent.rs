//! `ConcurrentProtocol` over pipes, with the test playing Erlang: the terms of the protocol
//! table, every error reply, back-pressure at the concurrency bound, calls into "Erlang"
//! answered out of order, nested waits beyond the bound, and the end of input.

use erlport::codec::{Atom, Term, decode, to_vec};
use erlport::{CallError, ConcurrentProtocol, Context, OwnedTerm};
use std::io::{PipeWriter, Read};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

mod pipes;
use pipes::{Erlang, read_packet};

/// `{call, Id, Name, Args}`, `Args` a list.
fn call(id: u64, name: &str, args: &[Term<'_>]) -> Vec<u8> {
    to_vec(&(Atom::new("call"), id, Atom::new(name), args)).unwrap()
}

/// `{call, Id, add, [1, 2 | 3]}`.
fn improper_args(id: i64) -> Vec<u8> {
    let args = erlport::codec::ImproperList { elements: &[1i64, 2][..], tail: &3i64 };
    erlport::codec::encode_to_vec(&(Atom::new("call"), id, Atom::new("add"), args)).unwrap()
}

fn int(n: i64) -> Term<'static> {
    Term::Integer(n)
}

fn atom(name: &str) -> Term<'_> {
    Term::Atom(Atom::new(name))
}

fn basic() -> ConcurrentProtocol<PipeWriter> {
    let mut proto = ConcurrentProtocol::new();
    proto.handle("add", |a: i64, b: i64| a + b);
    proto.handle("divide", |a: i64, b: i64| a / b);
    proto.handle("ok", |x: Result<i64, String>| x);
    proto.handle("none", || ());
    proto
}

#[test]
fn calls_get_replies_tagged_with_their_id_and_errors_in_the_sequential_shapes() {
    let mut erlang = Erlang::start(basic());
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (call(1, "add", &[int(1), int(2)]), "{reply,1,3}"),
        (call(2, "add", &[int(5), int(6)]), "{reply,2,11}"),
        (call(3, "none", &[]), "{reply,3,ok}"),
        (
            to_vec(&(Atom::new("call"), "any term", Atom::new("add"), vec![1, 1])).unwrap(),
            "{reply,<<97,110,121,32,116,101,114,109>>,2}",
        ),
        (call(4, "nosuch", &[]), "{reply,4,{error,undef}}"),
        // The reason is sent by default (`function_clause_reason`).
        (call(5, "add", &[int(1)]), "{reply,5,{error,{function_clause,<<"),
        (call(6, "add", &[int(1), atom("x")]), "{reply,6,{error,{function_clause,<<"),
        (to_vec(&(Atom::new("call"), 7, "add", vec![1, 2])).unwrap(), "{reply,7,{error,badarg}}"),
        (to_vec(&(Atom::new("call"), 8, Atom::new("add"), 12)).unwrap(), "{reply,8,{error,badarg}}"),
        (to_vec(&(Atom::new("hello"),)).unwrap(), "{error,badarg}"),
        (b"not a term".to_vec(), "{error,{decode,<<"),
        (to_vec(&(Atom::new("reply"), 99, (Atom::new("ok"), 1))).unwrap(), ""),
        (to_vec(&(Atom::new("cast"), Atom::new("add"), vec![1, 2])).unwrap(), ""),
        (to_vec(&(Atom::new("cast"), Atom::new("nosuch"), Vec::<i64>::new())).unwrap(), ""),
        (to_vec(&(Atom::new("call"), 9, Atom::new("ok"), vec![(Atom::new("ok"), 5)])).unwrap(), "{reply,9,{ok,5}}"),
        (improper_args(12), "{reply,12,{error,badarg}}"),
    ];
    for (request, expected) in &cases {
        erlang.send_bytes(request);
        if !expected.is_empty() {
            let got = erlang.receive();
            assert!(got.starts_with(expected), "{got}, expected {expected}");
        }
    }
    // Answers to calls nobody made and casts wrote nothing: the next reply is the next call's.
    erlang.send_bytes(&call(10, "divide", &[int(1), int(0)]));
    let panic = erlang.receive();
    assert!(panic.starts_with("{reply,10,{error,{exception,{panic,<<"), "{panic}");
    erlang.send_bytes(&call(11, "divide", &[int(9), int(3)]));
    assert_eq!(erlang.receive(), "{reply,11,3}");
    assert!(erlang.close().is_ok());
}

/// A gate the handlers wait at, counting how many wait at once.
#[derive(Default)]
struct Gate {
    state: Mutex<(bool, usize, usize)>,
    changed: Condvar,
}

impl Gate {
    fn pass(&self) {
        let mut state = self.state.lock().unwrap();
        state.1 += 1;
        state.2 = state.2.max(state.1);
        self.changed.notify_all();
        while !state.0 {
            state = self.changed.wait(state).unwrap();
        }
        state.1 -= 1;
    }

    fn waiting(&self, n: usize) {
        let mut state = self.state.lock().unwrap();
        while state.1 < n {
            state = self.changed.wait(state).unwrap();
        }
    }

    fn open(&self) {
        self.state.lock().unwrap().0 = true;
        self.changed.notify_all();
    }
}

#[test]
fn at_most_the_bound_run_at_once_and_the_rest_wait_unread() {
    let gate = Arc::new(Gate::default());
    let read = Arc::new(AtomicUsize::new(0));
    let mut proto = ConcurrentProtocol::new();
    proto.concurrency(3);
    let (g, r) = (Arc::clone(&gate), Arc::clone(&read));
    proto.handle("hold", move |n: u32| {
        r.fetch_add(1, Ordering::SeqCst);
        g.pass();
        n
    });
    let mut erlang = Erlang::start(proto);
    for id in 0..8 {
        erlang.send_bytes(&call(id, "hold", &[int(id as i64)]));
    }
    gate.waiting(3);
    std::thread::sleep(Duration::from_millis(100));
    // Three run; the others are not started (the port stops reading: back-pressure).
    assert_eq!(read.load(Ordering::SeqCst), 3);
    gate.open();
    let mut replies: Vec<String> = (0..8).map(|_| erlang.receive()).collect();
    replies.sort();
    assert_eq!(replies, (0..8).map(|i| format!("{{reply,{i},{i}}}")).collect::<Vec<_>>());
    assert_eq!(gate.state.lock().unwrap().2, 3, "never more than 3 at once");
    assert!(erlang.close().is_ok());
}

#[test]
fn calls_into_erlang_wait_without_a_slot_and_get_their_own_answers() {
    let mut proto = ConcurrentProtocol::new();
    // One slot: each handler waits for Erlang, and the next call still runs.
    proto.concurrency(1);
    proto.handle("ask", |ctx: Context, n: i64| ctx.call::<i64>("m", "f", (n,)));
    proto
        .handle("any", |ctx: Context| ctx.call::<OwnedTerm>("m", "g", Vec::<i64>::new()).map(|t| t.term().to_string()));
    let mut erlang = Erlang::start(proto);
    for id in 0..4 {
        erlang.send_bytes(&call(id, "ask", &[int(id as i64 * 10)]));
    }
    // Four calls into Erlang, each with its own RustId.
    let mut asked: Vec<(i64, i64)> = (0..4)
        .map(|_| {
            let text = erlang.receive();
            let inner = text.strip_prefix("{call,").unwrap().strip_suffix("]}").unwrap();
            let (rust_id, rest) = inner.split_once(',').unwrap();
            assert!(rest.starts_with("m,f,["), "{text}");
            (rust_id.parse().unwrap(), rest["m,f,[".len()..].parse().unwrap())
        })
        .collect();
    // Answered in reverse order; each handler gets its own.
    asked.reverse();
    for (rust_id, n) in &asked {
        let answer = if *n == 20 {
            (Atom::new("error"), Term::Atom(Atom::new("boom")))
        } else {
            (Atom::new("ok"), Term::Integer(n + 1))
        };
        erlang.send(&(Atom::new("reply"), rust_id, answer));
    }
    let mut replies: Vec<String> = (0..4).map(|_| erlang.receive()).collect();
    replies.sort();
    assert_eq!(replies, ["{reply,0,{ok,1}}", "{reply,1,{ok,11}}", "{reply,2,{error,boom}}", "{reply,3,{ok,31}}"]);
    // A value that does not fit the type asked for.
    erlang.send_bytes(&call(5, "ask", &[int(1)]));
    let text = erlang.receive();
    let rust_id: u64 = text["{call,".len()..].split(',').next().unwrap().parse().unwrap();
    erlang.send(&(Atom::new("reply"), rust_id, (Atom::new("ok"), "text")));
    let reply = erlang.receive();
    assert!(reply.starts_with("{reply,5,{error,{type,<<"), "{reply}");
    // The input ends while a handler waits: it gets `closed`, and run returns once it answered.
    erlang.send_bytes(&call(6, "any", &[]));
    assert!(erlang.receive().starts_with("{call,"));
    let mut from_rust = erlang.from_rust.try_clone().unwrap();
    let result = erlang.close();
    assert!(result.is_ok());
    let mut rest = Vec::new();
    from_rust.read_to_end(&mut rest).unwrap();
    assert_eq!(decode(&rest[4..]).unwrap().to_string(), "{reply,6,{error,closed}}");
}

#[test]
fn progress_is_tagged_with_its_call_and_comes_before_the_reply() {
    let mut proto = ConcurrentProtocol::new();
    proto.handle("count", |ctx: Context, n: u32| {
        assert!(!ctx.is_cast());
        for i in 0..n {
            ctx.progress(&(Atom::new("step"), i)).unwrap();
        }
        // From another thread too.
        let copy = ctx.clone();
        std::thread::spawn(move || copy.progress("from a thread").unwrap()).join().unwrap();
        Atom::new("done")
    });
    let mut erlang = Erlang::start(proto);
    erlang.send_bytes(&call(7, "count", &[int(2)]));
    let got: Vec<String> = (0..4).map(|_| erlang.receive()).collect();
    assert_eq!(
        got,
        [
            "{progress,7,{step,0}}",
            "{progress,7,{step,1}}",
            "{progress,7,<<102,114,111,109,32,97,32,116,104,114,101,97,100>>}",
            "{reply,7,done}"
        ]
    );
    // A cast's progress goes nowhere.
    erlang.send(&(Atom::new("cast"), Atom::new("count"), vec![3]));
    erlang.send_bytes(&call(8, "count", &[int(0)]));
    assert_eq!(erlang.receive(), "{progress,8,<<102,114,111,109,32,97,32,116,104,114,101,97,100>>}");
    assert_eq!(erlang.receive(), "{reply,8,done}");
    assert!(erlang.close().is_ok());
}

#[test]
fn a_call_error_is_a_reason_erlang_can_read() {
    let closed = to_vec(&Err::<(), _>(CallError::Closed)).unwrap();
    assert_eq!(decode(&closed).unwrap().to_string(), "{error,closed}");
    // An erlport::Error reads as its reason.
    for error in
        [erlport::Error::PacketTooLarge { len: 300, max: 255 }, erlport::Error::Truncated { expected: 9, got: 2 }]
    {
        let expected = erlport::codec::encode_to_vec(&error.reason()).unwrap();
        assert_eq!(to_vec(&error).unwrap(), expected);
    }
    assert_eq!(CallError::Busy.to_string(), format!("{} handlers already wait for Erlang", erlport::MAX_WAITING));
}

#[test]
fn many_pipelined_calls_all_answered_and_run_returns() {
    let mut proto = ConcurrentProtocol::new();
    proto.handle("add", |a: i64, b: i64| a + b);
    proto.handle("slow", |a: i64| {
        std::thread::sleep(Duration::from_micros(50));
        a
    });
    let mut erlang = Erlang::start(proto);
    let mut from_rust = erlang.from_rust.try_clone().unwrap();
    let n = 20_000u64;
    let collector = std::thread::spawn(move || {
        let mut seen = vec![false; n as usize];
        for _ in 0..n {
            let body = read_packet(&mut from_rust);
            let reply = decode(&body).unwrap();
            let tuple = reply.as_tuple().unwrap();
            let id = tuple.get(1).unwrap().as_i64().unwrap() as usize;
            assert!(!seen[id], "a second reply to {id}");
            seen[id] = true;
        }
        seen.iter().all(|&s| s)
    });
    for id in 0..n {
        let name = if id % 100 == 7 { "slow" } else { "add" };
        erlang.send_bytes(&call(id, name, &[int(1), int(2)][..if name == "slow" { 1 } else { 2 }]));
    }
    assert!(collector.join().unwrap(), "every call answered once");
    assert!(erlang.close().is_ok());
}

/// A request stream of every kind, good and bad, in a random order: the port serves it all,
/// every call gets exactly one reply with its id, every packet with no id one `{error, _}`,
/// and the rest (casts, answers nobody waits for) nothing.
#[test]
fn a_stream_of_bad_packets_never_stops_the_port() {
    let mut proto = ConcurrentProtocol::new();
    proto.concurrency(4);
    proto.handle("add", |a: i64, b: i64| a + b);
    proto.handle("divide", |a: i64, b: i64| a / b);
    let mut erlang = Erlang::start(proto);
    let mut from_rust = erlang.from_rust.try_clone().unwrap();
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let (mut calls, mut errors) = (0u64, 0u64);
    let mut packets = Vec::new();
    for id in 0..3000u64 {
        let packet = match next() % 9 {
            0 => call(id, "add", &[int(id as i64), int(1)]),
            1 => call(id, "divide", &[int(1), int((next() % 2) as i64)]),
            2 => call(id, "add", &[atom("x")]),
            3 => improper_args(id as i64),
            4 => call(id, "nosuch", &[]),
            5 => to_vec(&(Atom::new("cast"), Atom::new("add"), vec![1, 2])).unwrap(),
            6 => to_vec(&(Atom::new("reply"), next() % 1000, (Atom::new("ok"), 1))).unwrap(),
            7 => {
                // Garbage: random bytes, a cut call, a list claiming 2^32 - 1 elements.
                let mut bytes = call(id, "add", &[int(1), int(2)]);
                match next() % 3 {
                    0 => bytes.iter_mut().for_each(|b| *b = next() as u8),
                    1 => bytes.truncate(bytes.len() / 2),
                    _ => bytes = vec![131, 108, 255, 255, 255, 255, 106],
                }
                bytes
            }
            _ => to_vec(&(Atom::new("hello"), id)).unwrap(),
        };
        let tagged = packet.len() > 2
            && decode(&packet).is_ok_and(|t| {
                t.as_tuple().is_some_and(|t| t.arity() == 4 && t.get(0).is_some_and(|k| k.is_atom("call")))
            });
        let silent = decode(&packet).is_ok_and(|t| {
            t.as_tuple().is_some_and(|t| t.get(0).is_some_and(|k| k.is_atom("cast") || k.is_atom("reply")))
        });
        if tagged {
            calls += 1;
        } else if !silent {
            errors += 1;
        }
        packets.push(packet);
    }
    let expected = calls + errors;
    let collector = std::thread::spawn(move || {
        let (mut replies, mut untagged) = (std::collections::HashSet::new(), 0u64);
        for _ in 0..expected {
            let body = read_packet(&mut from_rust);
            let term = decode(&body).unwrap();
            let tuple = term.as_tuple().unwrap();
            if tuple.get(0).unwrap().is_atom("reply") {
                assert!(replies.insert(tuple.get(1).unwrap().as_i64().unwrap()), "two replies: {term}");
            } else {
                assert!(tuple.get(0).unwrap().is_atom("error"), "{term}");
                untagged += 1;
            }
        }
        (replies.len() as u64, untagged)
    });
    for packet in &packets {
        erlang.send_bytes(packet);
    }
    assert_eq!(collector.join().unwrap(), (calls, errors));
    assert!(erlang.close().is_ok());
}

#[test]
fn a_call_into_erlang_from_a_thread_the_handler_started_takes_no_slot() {
    let mut proto = ConcurrentProtocol::new();
    proto.concurrency(1);
    proto.handle("add", |a: i64, b: i64| a + b);
    proto.handle("later", |ctx: Context| {
        // Calls Erlang after the handler has answered, from a thread of its own.
        std::thread::spawn(move || {
            let answer = ctx.call::<i64>("m", "f", ());
            ctx.progress(&answer.unwrap()).unwrap();
        });
        Atom::new("started")
    });
    let mut erlang = Erlang::start(proto);
    erlang.send_bytes(&call(1, "later", &[]));
    let mut first = [erlang.receive(), erlang.receive()];
    first.sort();
    assert_eq!(first[0], "{call,0,m,f,[]}");
    assert_eq!(first[1], "{reply,1,started}");
    // While that thread waits, the one slot serves calls.
    for id in 2..6 {
        erlang.send_bytes(&call(id, "add", &[int(id as i64), int(1)]));
        assert_eq!(erlang.receive(), format!("{{reply,{id},{}}}", id + 1));
    }
    erlang.send(&(Atom::new("reply"), 0, (Atom::new("ok"), 42)));
    assert_eq!(erlang.receive(), "{progress,1,42}");
    for id in 6..10 {
        erlang.send_bytes(&call(id, "add", &[int(id as i64), int(1)]));
        assert_eq!(erlang.receive(), format!("{{reply,{id},{}}}", id + 1));
    }
    assert!(erlang.close().is_ok());
}

/// A call refused whole (over the size limit, or not valid after its id) is answered by its
/// id when the start of the packet holds one, so its caller is not left to time out; a packet
/// without one gets the untagged error, and the port goes on.
#[test]
fn refused_calls_are_answered_by_their_id() {
    let mut proto = basic();
    proto.handle("ask", |ctx: Context| ctx.call::<OwnedTerm>("m", "f", ()).map(|t| t.term().to_string()));
    let mut erlang = Erlang::start_with(proto, |port| port.max_packet(64));
    let big = Term::Binary(&[7; 100]);
    // A call over the limit, its id a tuple.
    let over = to_vec(&(Atom::new("call"), (Atom::new("job"), 20), Atom::new("add"), [big])).unwrap();
    erlang.send_bytes(&over);
    assert_eq!(erlang.receive(), format!("{{reply,{{job,20}},{{error,{{packet_too_large,{},64}}}}}}", over.len()));
    // The same, its header arriving alone and its id in pieces: the id is still read.
    for cuts in [&[4][..], &[4, 7], &[2, 9, 15, 60]] {
        erlang.send_in_pieces(&over, cuts);
        let expected = format!("{{reply,{{job,20}},{{error,{{packet_too_large,{},64}}}}}}", over.len());
        assert_eq!(erlang.receive(), expected, "cut at {cuts:?}");
    }
    // A call whose arguments hold an atom that is not UTF-8.
    let mut bad = call(21, "add", &[atom("ab"), int(1)]);
    let at = bad.windows(2).position(|w| w == b"ab").unwrap();
    bad[at] = 0xC3;
    erlang.send_bytes(&bad);
    let got = erlang.receive();
    assert!(got.starts_with("{reply,21,{error,{decode,<<"), "{got}");
    // Over the limit and not a call: untagged, as before.
    let cast = to_vec(&(Atom::new("cast"), Atom::new("add"), [big])).unwrap();
    erlang.send_bytes(&cast);
    assert!(erlang.receive().starts_with("{error,{packet_too_large,"));
    erlang.send_in_pieces(&cast, &[4, 6]);
    assert!(erlang.receive().starts_with("{error,{packet_too_large,"));
    // A call whose id is itself cut off by the limit's prefix: untagged.
    let long_id = to_vec(&(Atom::new("call"), Term::Binary(&[1; 300]), Atom::new("add"), [1, 2])).unwrap();
    erlang.send_bytes(&long_id);
    assert!(erlang.receive().starts_with("{error,{packet_too_large,"));
    erlang.send_bytes(&call(22, "add", &[int(2), int(3)]));
    assert_eq!(erlang.receive(), "{reply,22,5}");
    // A handler's call into Erlang whose answer is over the limit (or not valid): the
    // handler gets the error, as if Erlang had answered `{error, Reason}`, rather than waiting.
    for (id, answer) in [(23, Vec::new()), (24, vec![0xC3])] {
        erlang.send_bytes(&call(id, "ask", &[]));
        let asked = erlang.receive();
        let rust_id: u64 = asked["{call,".len()..].split(',').next().unwrap().parse().unwrap();
        let mut reply = match answer.as_slice() {
            [] => to_vec(&(Atom::new("reply"), rust_id, (Atom::new("ok"), big))).unwrap(),
            // {ok, 'a'} with the atom's text not UTF-8.
            _ => to_vec(&(Atom::new("reply"), rust_id, (Atom::new("ok"), atom("a")))).unwrap(),
        };
        if let [byte] = answer.as_slice() {
            *reply.last_mut().unwrap() = *byte;
        }
        // The header alone first: the answer's id is read all the same.
        erlang.send_in_pieces(&reply, &[4]);
        let got = erlang.receive();
        let expected = if answer.is_empty() { "{error,{packet_too_large," } else { "{error,{decode,<<" };
        assert!(got.starts_with(&format!("{{reply,{id},{expected}")), "{got}");
    }
    assert!(erlang.close().is_ok());
}

/// `{cancel, Id}` reaches the running handler with that id: `is_cancelled` turns true, and
/// `progress` fails; other calls are not touched.
#[test]
fn a_cancel_reaches_the_handler_of_its_call_only() {
    let mut proto = ConcurrentProtocol::new();
    proto.handle("wait", |ctx: Context| {
        let started = std::time::Instant::now();
        while !ctx.is_cancelled() && started.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(1));
        }
        (ctx.is_cancelled(), matches!(ctx.progress(&1), Err(erlport::Error::Cancelled)))
    });
    let mut erlang = Erlang::start(proto);
    erlang.send_bytes(&call(1, "wait", &[]));
    erlang.send_bytes(&call(2, "wait", &[]));
    erlang.send(&(Atom::new("cancel"), 2));
    assert_eq!(erlang.receive(), "{reply,2,{true,true}}");
    erlang.send(&(Atom::new("cancel"), 99)); // no such call: nothing happens
    erlang.send(&(Atom::new("cancel"), 1));
    assert_eq!(erlang.receive(), "{reply,1,{true,true}}");
    erlang.close().unwrap();
}

/// With a progress window (from the hello), a handler sends that many messages and waits
/// for `{credit, Id, N}`; the hello is answered with what the program is.
#[test]
fn progress_waits_for_credit_once_its_window_is_used() {
    let mut proto = ConcurrentProtocol::new();
    proto
        .handle("count", |ctx: Context, n: u32| (1..=n).try_for_each(|i| ctx.progress(&i)).map(|()| Atom::new("done")));
    proto.handle("add", |a: i64, b: i64| a + b);
    proto.concurrency(3);
    let mut erlang = Erlang::start(proto);
    #[derive(serde::Serialize)]
    struct Options {
        progress_window: u64,
    }
    erlang.send(&(Atom::new("hello"), 1, Options { progress_window: 2 }));
    let hello = erlang.receive();
    assert!(hello.starts_with("{hello,1,#{concurrency => 3,grace => 5000,max_packet => "), "{hello}");
    erlang.send_bytes(&call(7, "count", &[int(5)]));
    assert_eq!(erlang.receive(), "{progress,7,1}");
    assert_eq!(erlang.receive(), "{progress,7,2}");
    // The window is used: nothing more until credit, while other calls are answered.
    erlang.send_bytes(&call(8, "add", &[int(1), int(2)]));
    assert_eq!(erlang.receive(), "{reply,8,3}");
    erlang.send(&(Atom::new("credit"), 7, 2));
    assert_eq!(erlang.receive(), "{progress,7,3}");
    assert_eq!(erlang.receive(), "{progress,7,4}");
    erlang.send(&(Atom::new("credit"), 7, 5));
    assert_eq!(erlang.receive(), "{progress,7,5}");
    assert_eq!(erlang.receive(), "{reply,7,{ok,done}}");
    erlang.close().unwrap();
}

/// The window counts bytes too: with 100 bytes allowed, a second message of 60 waits for the
/// first to be acknowledged, while one larger than the whole window goes when it is alone.
#[test]
fn progress_waits_while_its_bytes_would_pass_the_window() {
    let mut proto = ConcurrentProtocol::new();
    proto.handle("send", |ctx: Context, sizes: Vec<usize>| {
        sizes.iter().try_for_each(|&n| ctx.progress(&erlport::ByteBuf::from(vec![1u8; n]))).map(|()| Atom::new("done"))
    });
    let mut erlang = Erlang::start(proto);
    #[derive(serde::Serialize)]
    struct Options {
        progress_window: u64,
        progress_bytes: u64,
    }
    erlang.send(&(Atom::new("hello"), 1, Options { progress_window: 10, progress_bytes: 100 }));
    assert!(erlang.receive().starts_with("{hello,1,"));
    let sizes = to_vec(&(Atom::new("call"), 7, Atom::new("send"), vec![vec![55usize, 55, 500, 10]])).unwrap();
    erlang.send_bytes(&sizes);
    let progress = |n: usize| format!("{{progress,7,<<{}>>}}", vec!["1"; n].join(","));
    assert_eq!(erlang.receive(), progress(55));
    // 55 + 55 > 100: nothing more until the first is acknowledged.
    erlang.send(&(Atom::new("credit"), 7, 1));
    assert_eq!(erlang.receive(), progress(55));
    // 500 alone, once both are acknowledged; then 10.
    erlang.send(&(Atom::new("credit"), 7, 2));
    assert_eq!(erlang.receive(), progress(500));
    erlang.send(&(Atom::new("credit"), 7, 1));
    assert_eq!(erlang.receive(), progress(10));
    assert_eq!(erlang.receive(), "{reply,7,{ok,done}}");
    erlang.close().unwrap();
}
