//! Times the store's reading of the whole audit trail without the binary around it: the
//! verification, and the CSV export written 64 KiB at a time to a sink, each RUNS times (3 by
//! default) on the database at URL. What `bench/audit.sh` measures through `scitrial`, less
//! the process, its start and the terminal's pipe.
//!
//!   cargo run -j 1 --release -p store --example audit_read -- sqlite:trail.db [RUNS]

use std::ops::ControlFlow;
use std::time::Instant;

/// The export's state: rows, bytes written, and the chunk not yet written.
struct Csv {
    rows: u64,
    written: u64,
    chunk: Vec<u8>,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let url = args.next().ok_or("usage: audit_read URL [RUNS]")?;
    let runs: usize = match args.next() {
        Some(n) => n.parse()?,
        None => 3,
    };
    let store = store::Store::open(&url).await?;
    for _ in 0..runs {
        let t = Instant::now();
        let report = store.verify_audit().await?;
        let s = t.elapsed().as_secs_f64();
        let store::AuditReport::Intact { rows, .. } = report else {
            return Err(format!("the trail does not verify: {report:?}").into());
        };
        println!(
            "verify: {rows} rows in {s:.3} s, {:.0} rows/s",
            rows as f64 / s
        );
        let t = Instant::now();
        let csv = Csv {
            rows: 0,
            written: 0,
            chunk: Vec::with_capacity((64 << 10) + 1024),
        };
        let csv = store
            .audit_each(csv, |csv, row| {
                csv.rows += 1;
                row.write_csv(&mut csv.chunk);
                if csv.chunk.len() >= 64 << 10 {
                    csv.written += std::hint::black_box(&csv.chunk).len() as u64;
                    csv.chunk.clear();
                }
                ControlFlow::Continue(())
            })
            .await?;
        let s = t.elapsed().as_secs_f64();
        println!(
            "export: {} rows ({} MB) in {s:.3} s, {:.0} rows/s",
            csv.rows,
            (csv.written + csv.chunk.len() as u64) / 1_000_000,
            csv.rows as f64 / s
        );
    }
    Ok(())
}
