//! The panic hook a `Protocol` installs is scoped to its handlers: panics anywhere else reach
//! the hook that was there before, and two Protocols on two threads do not interfere. In a
//! file of its own: the process-wide hook is what is being tested.

use erlport::codec::{Atom, decode, encode_to_vec};
use erlport::{PacketSize, Port, Protocol};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

static SEEN_BY_OUR_HOOK: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn frame(body: &[u8]) -> Vec<u8> {
    let mut out = (body.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(body);
    out
}

fn replies(out: &[u8]) -> Vec<String> {
    let mut replies = Vec::new();
    let mut rest = out;
    while rest.len() >= 4 {
        let len = u32::from_be_bytes(rest[..4].try_into().unwrap()) as usize;
        replies.push(decode(&rest[4..4 + len]).unwrap().to_string());
        rest = &rest[4 + len..];
    }
    replies
}

#[test]
fn handler_panics_are_answered_and_other_panics_reach_the_previous_hook() {
    std::panic::set_hook(Box::new(|info| {
        let message = info.payload().downcast_ref::<&str>().map(|s| s.to_string()).unwrap_or_default();
        eprintln!("our hook: {info}");
        SEEN_BY_OUR_HOOK.lock().unwrap_or_else(|p| p.into_inner()).push(message);
    }));
    let started = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        // Two Protocols at once, each with a panicking handler and one that spawns a thread
        // that panics; a third thread panics on its own while they run.
        let runs: Vec<_> = (0..2)
            .map(|i| {
                let started = &started;
                scope.spawn(move || {
                    let mut input = Vec::new();
                    for _ in 0..200 {
                        input.extend(frame(&encode_to_vec(&Atom::new("boom")).unwrap()));
                        input.extend(frame(&encode_to_vec(&Atom::new("elsewhere")).unwrap()));
                    }
                    let mut out = Vec::new();
                    {
                        let mut proto = Protocol::new();
                        proto.handle("boom", move || -> u8 { panic!("handler {i}") });
                        proto.handle("elsewhere", || {
                            let _ = std::thread::spawn(|| panic!("spawned by a handler")).join();
                            Atom::new("ok")
                        });
                        started.fetch_add(1, Ordering::SeqCst);
                        proto.run(Port::new(&input[..], &mut out, PacketSize::Four)).unwrap();
                    }
                    replies(&out)
                })
            })
            .collect();
        while started.load(Ordering::SeqCst) < 2 {
            std::thread::yield_now();
        }
        let _ = scope.spawn(|| panic!("on a thread of its own")).join();
        for (i, run) in runs.into_iter().enumerate() {
            let replies = run.join().unwrap();
            assert_eq!(replies.len(), 400);
            for pair in replies.chunks(2) {
                let want = format!("{{error,{{exception,{{panic,<<104,97,110,100,108,101,114,32,{}>>,[<<", 48 + i);
                assert!(pair[0].starts_with(&want), "{}", pair[0]);
                let file: Vec<String> = "panic_hook.rs".bytes().map(|b| b.to_string()).collect();
                assert!(pair[0].contains(&file.join(",")), "the trace says where: {}", pair[0]);
                assert_eq!(pair[1], "ok");
            }
        }
    });
    let seen = SEEN_BY_OUR_HOOK.lock().unwrap();
    assert_eq!(seen.iter().filter(|m| *m == "spawned by a handler").count(), 400, "{seen:?}");
    assert_eq!(seen.iter().filter(|m| *m == "on a thread of its own").count(), 1);
    assert!(!seen.iter().any(|m| m.starts_with("handler")), "handler panics are the Protocol's: {seen:?}");
}
