//! Prints the benchmark table: criterion's medians for erlport-codec, eetf and erltf (read
//! from `target/criterion`) next to ERTS's timings (`erts_bench.escript` output on stdin), as
//! ratios. `scripts/bench` runs everything and pipes ERTS's numbers in.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

fn median_ns(root: &Path, group: &str, id: &str) -> Option<f64> {
    let file = root.join(group.replace('/', "_")).join(id).join("new/estimates.json");
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(file).ok()?).ok()?;
    json["median"]["point_estimate"].as_f64()
}

fn fmt(ns: f64) -> String {
    if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.1} µs", ns / 1e3)
    } else {
        format!("{ns:.0} ns")
    }
}

fn main() {
    let root = std::env::args().nth(1).unwrap_or_else(|| "target/criterion".to_string());
    let root = Path::new(&root);
    let mut erts_text = String::new();
    std::io::stdin().read_to_string(&mut erts_text).expect("ERTS timings on stdin");
    let erts: BTreeMap<String, f64> = erts_text
        .lines()
        .filter_map(|l| {
            let mut parts = l.split_whitespace();
            (parts.next()? == "erts").then_some(())?;
            Some((parts.next()?.to_string(), parts.next()?.parse().ok()?))
        })
        .collect();
    println!("| work | erlport-codec | ERTS | eetf | erltf | vs ERTS | vs eetf | vs erltf |");
    println!("|---|---|---|---|---|---|---|---|");
    let rows = [
        ("decode_walk/a", "erlport", "decode + walk a: lists:seq(1, 100000)"),
        ("decode_walk/b", "erlport", "decode + walk b: 10,000 small maps"),
        ("decode_walk/c", "erlport", "decode + walk c: {data, 1 MiB binary}"),
        ("decode_walk/d", "erlport", "decode + walk d: b compressed"),
        ("encode/b", "erlport", "encode b from Rust values"),
        ("encode/b", "erlport_view", "encode b by re-encoding the view"),
    ];
    for (group, ours_id, label) in rows {
        let ours = median_ns(root, group, ours_id);
        let erts = erts.get(group).copied();
        let eetf = median_ns(root, group, "eetf");
        let erltf = median_ns(root, group, "erltf");
        let cell = |v: Option<f64>| v.map_or("n/a".to_string(), fmt);
        let ratio = |other: Option<f64>| match (ours, other) {
            (Some(o), Some(x)) => format!("{:.1}x", x / o),
            _ => "n/a".to_string(),
        };
        println!(
            "| {label} | {} | {} | {} | {} | {} | {} | {} |",
            cell(ours),
            cell(erts),
            cell(eetf),
            cell(erltf),
            ratio(erts),
            ratio(eetf),
            ratio(erltf)
        );
    }
    println!("\nRatios are how many times faster erlport-codec is (the other's time / ours), medians.");
}
