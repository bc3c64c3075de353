//! A `ConcurrentProtocol` program never outlives the other end of its pipes: with its
//! output gone it ends at once, and after its input ends its handlers get the grace period,
//! then it exits. The `jobs` example, run as a child process with pipes of our own.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The `jobs` example with `args`, its stdin and stdout piped to us.
fn jobs(args: &[&str]) -> Child {
    // target/<profile>/deps/<this test> -> target/<profile>/examples/jobs
    let exe = std::env::current_exe().expect("test executable");
    let jobs: PathBuf = exe.parent().and_then(Path::parent).expect("target dir").join("examples/jobs");
    assert!(jobs.exists(), "{} missing: cargo test builds the examples", jobs.display());
    Command::new(jobs)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("jobs starts")
}

/// `{call, Id, Name, Args}` in a `{packet, 4}` frame.
fn call(id: i64, name: &str, args: &[i64]) -> Vec<u8> {
    use erlport::codec::{Atom, encode_to_vec};
    let body = encode_to_vec(&(Atom::new("call"), id, Atom::new(name), args)).expect("encodes");
    let mut frame = (body.len() as u32).to_be_bytes().to_vec();
    frame.extend_from_slice(&body);
    frame
}

/// Waits for `child` to exit, at most `limit`; how long it took.
fn exits_within(child: &mut Child, limit: Duration) -> Duration {
    let started = Instant::now();
    while started.elapsed() < limit {
        if child.try_wait().expect("wait").is_some() {
            return started.elapsed();
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let _ = child.kill();
    panic!("still running after {limit:?}");
}

#[test]
fn with_its_output_gone_the_program_ends_although_its_input_stays_open() {
    let mut child = jobs(&[]);
    let mut input = child.stdin.take().expect("stdin");
    drop(child.stdout.take());
    // Its reply cannot be written: it stops taking calls and ends, without waiting for its
    // input (kept open here) to end.
    input.write_all(&call(1, "add", &[1, 2])).expect("writes");
    let took = exits_within(&mut child, Duration::from_secs(3));
    assert!(took < Duration::from_secs(2), "took {took:?}");
    drop(input);
}

#[test]
fn after_its_input_ends_a_running_handler_gets_the_grace_period_then_the_program_exits() {
    let mut child = jobs(&["--grace", "300"]);
    let mut input = child.stdin.take().expect("stdin");
    input.write_all(&call(1, "sleep", &[600_000])).expect("writes");
    std::thread::sleep(Duration::from_millis(100));
    drop(input);
    let took = exits_within(&mut child, Duration::from_secs(5));
    assert!(took >= Duration::from_millis(250) && took < Duration::from_secs(2), "took {took:?}");
    assert!(child.wait().expect("status").success());
}

#[test]
fn after_its_input_ends_with_nothing_running_the_program_exits_at_once() {
    let mut child = jobs(&[]);
    let mut input = child.stdin.take().expect("stdin");
    input.write_all(&call(1, "add", &[1, 2])).expect("writes");
    drop(input);
    let took = exits_within(&mut child, Duration::from_secs(3));
    assert!(took < Duration::from_secs(1), "took {took:?}");
    assert!(child.wait().expect("status").success());
}
