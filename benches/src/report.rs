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

/// The `<tag> <name> <number>` lines of the ERTS script's output, by name.
fn tagged(text: &str, tag: &str) -> BTreeMap<String, f64> {
    text.lines()
        .filter_map(|l| {
            let mut parts = l.split_whitespace();
            (parts.next()? == tag).then_some(())?;
            Some((parts.next()?.to_string(), parts.next()?.parse().ok()?))
        })
        .collect()
}

fn main() {
    let root = std::env::args().nth(1).unwrap_or_else(|| "target/criterion".to_string());
    let root = Path::new(&root);
    let mut erts_text = String::new();
    std::io::stdin().read_to_string(&mut erts_text).expect("ERTS timings on stdin");
    let erts = tagged(&erts_text, "erts");
    let sizes = tagged(&erts_text, "size");
    let cell = |v: Option<f64>| v.map_or("n/a".to_string(), fmt);
    let ratio = |ours: Option<f64>, other: Option<f64>| match (ours, other) {
        (Some(o), Some(x)) => format!("{:.1}x", x / o),
        _ => "n/a".to_string(),
    };
    println!(
        "| decode + walk | erlport-codec | MB/s | copy floor | ERTS binary_to_term | vs ERTS | \
         recursive walk | ERTS + walk | eetf | vs eetf | erltf | vs erltf |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|");
    let inputs = [
        ("a", "a: lists:seq(1, 100000)"),
        ("b", "b: 10,000 small maps"),
        ("c", "c: {data, 1 MiB binary}"),
        ("d", "d: b compressed"),
        ("e", "e: 1,000,000-key map (maps:from_list)"),
        ("f", "f: 100,000 atom keys"),
    ];
    for (name, label) in inputs {
        let group = format!("decode_walk/{name}");
        let ours = median_ns(root, &group, "erlport");
        if ours.is_none() {
            continue;
        }
        let size = sizes.get(name).copied();
        let mbps = match (ours, size) {
            (Some(ns), Some(bytes)) => format!("{:.0}", bytes / ns * 1e3),
            _ => "n/a".to_string(),
        };
        let b2t = erts.get(&format!("binary_to_term/{name}")).copied();
        let (eetf, erltf) = (median_ns(root, &group, "eetf"), median_ns(root, &group, "erltf"));
        println!(
            "| {label} | {} | {mbps} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            cell(ours),
            cell(median_ns(root, &group, "copy")),
            cell(b2t),
            ratio(ours, b2t),
            cell(median_ns(root, &group, "erlport_recursive")),
            cell(erts.get(&group).copied()),
            cell(eetf),
            ratio(ours, eetf),
            cell(erltf),
            ratio(ours, erltf),
        );
    }
    // Each way of reading and writing against ERTS alone, timed in turns (benches/src/paired.rs).
    let paired: Vec<Vec<&str>> = erts_text
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .filter(|p| p.len() == 8 && p[0] == "paired")
        .collect();
    if !paired.is_empty() {
        println!();
        println!("| in turns with ERTS | input | erlport-codec | ERTS | vs ERTS | lowest, highest turn |");
        println!("|---|---|---|---|---|---|");
        for p in &paired {
            let way = match p[1] {
                "walk" => "decode + `Term::walk`",
                "recursive" => "decode + recursion over the views",
                "indexed" => "`decode_indexed` + the same recursion",
                "from_bytes" => "`from_bytes` into `Vec<User<'a>>`",
                "encode" => "`Encoder`, from Rust values",
                "to_slice" => "`to_slice`, serde",
                other => other,
            };
            let erts_job = if matches!(p[1], "encode" | "to_slice") { "term_to_binary" } else { "binary_to_term" };
            let label = inputs.iter().find(|(name, _)| *name == p[2]).map_or(p[2], |(_, label)| *label);
            let ns = |s: &str| s.parse::<f64>().ok();
            println!(
                "| {way} | {label} | {} | {} {erts_job} | {}x | {}x, {}x |",
                cell(ns(p[4])),
                cell(ns(p[5])),
                p[3],
                p[6],
                p[7]
            );
        }
    }
    println!();
    println!("| encode | erlport-codec | ERTS term_to_binary | vs ERTS | eetf | vs eetf | erltf | vs erltf |");
    println!("|---|---|---|---|---|---|---|---|");
    for (id, label) in [("erlport", "b from Rust values"), ("erlport_view", "b by re-encoding the view")] {
        let ours = median_ns(root, "encode/b", id);
        let erts_ns = erts.get("encode/b").copied();
        let (eetf, erltf) = (median_ns(root, "encode/b", "eetf"), median_ns(root, "encode/b", "erltf"));
        println!(
            "| {label} | {} | {} | {} | {} | {} | {} | {} |",
            cell(ours),
            cell(erts_ns),
            ratio(ours, erts_ns),
            cell(eetf),
            ratio(ours, eetf),
            cell(erltf),
            ratio(ours, erltf),
        );
    }
    println!();
    println!(
        "| serde, b as `Vec<User<'a>>` | erlport-codec | our decode + walk | vs it | ERTS | vs ERTS | serde_eetf | vs serde_eetf |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    let walk = median_ns(root, "serde/b", "erlport_decode_walk");
    for (ours_id, peer_id, erts_id, label) in [
        ("erlport_from_bytes", "serde_eetf_from_bytes", "binary_to_term/b", "read (`from_bytes`)"),
        ("erlport_to_slice", "serde_eetf_to_bytes", "encode/b", "write (`to_slice`)"),
    ] {
        let ours = median_ns(root, "serde/b", ours_id);
        let peer = median_ns(root, "serde/b", peer_id);
        let erts_ns = erts.get(erts_id).copied();
        let vs_walk = if ours_id == "erlport_from_bytes" { ratio(ours, walk) } else { "-".to_string() };
        let walk_cell = if ours_id == "erlport_from_bytes" { cell(walk) } else { "-".to_string() };
        println!(
            "| {label} | {} | {walk_cell} | {vs_walk} | {} | {} | {} | {} |",
            cell(ours),
            cell(erts_ns),
            ratio(ours, erts_ns),
            cell(peer),
            ratio(ours, peer),
        );
    }
    println!(
        "\nMedians. Ratios are how many times faster erlport-codec is (the other's time / ours). \
         \"erlport-codec\" decodes and walks with `Term::walk`; \"recursive walk\" is the same visit \
         written by hand over the views' iterators. The copy floor is copying the input once. The serde rows \
         read b into `Vec<User<'a>>` (`id`, `name: &str`, `score`, `tags: Vec<&str>`, borrowed) and write it \
         back; serde_eetf reads owned `String`s (it cannot borrow) and atoms as enum variants. \
         \"In turns with ERTS\": the two sides timed alternately, about 50 ms each, eleven turns per input, \
         in the same minute; the ratio is the median of the turns' ratios, and the lowest and highest show \
         how far this machine's speed swung during the run (the other tables time each side minutes apart)."
    );
}
