//! `scitrial analysis`: a study's analysis datasets (`ADSL`, `ADISN`) as CSV and SAS
//! transport files, and the results of the analyses as JSON. The run (loading and auditing it,
//! the derivations and the analyses) is `Store::analysis`, shared with the API and the report
//! page; the figures and the report are `trial::analysis::report`'s; the transport files are
//! written by `export::xpt`, the figures' PNGs (beside their SVGs) by `export::png`.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use export::{png, xpt};
use store::Actor;
use trial::analysis::report::{report_document, report_html, Figures};
use trial::analysis::{Cell, Kind, Table};

/// Arguments of `scitrial analysis`.
#[derive(clap::Args, Debug)]
pub struct AnalysisArgs {
    /// `sqlite:PATH` or `postgres://USER@HOST/DB`; an SQLite file must exist.
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: String,
    /// The study's id (`XS228-P2`).
    #[arg(long)]
    pub study: String,
    /// The directory to write into (created when missing).
    #[arg(long)]
    pub output: PathBuf,
    /// Read the arms and give every result by arm (the DSMB's closed report; audited as an
    /// unblinded run). Without it no arm is read and every result is pooled.
    #[arg(long)]
    pub unblinded: bool,
}

/// Runs `scitrial analysis`.
pub async fn run(args: AnalysisArgs) -> Result<()> {
    let started = std::time::Instant::now();
    let store = crate::server::open_existing(&args.database_url).await?;
    let Some(record) = store
        .studies()
        .await?
        .into_iter()
        .find(|s| s.id == args.study)
    else {
        bail!("there is no study {:?} in this database", args.study);
    };
    let study = trial::Study::from_toml(&record.definition)
        .with_context(|| format!("the stored definition of {} is not valid", args.study))?;
    let unblinded = args.unblinded;
    let store::Analysis {
        data,
        results,
        lock,
    } = store
        .analysis(
            &study,
            |_| unblinded,
            |by_arm| {
                if by_arm {
                    "scitrial analysis --unblinded: results by arm"
                } else {
                    "scitrial analysis: pooled results"
                }
                .to_owned()
            },
            &Actor::system(),
        )
        .await?;
    std::fs::create_dir_all(&args.output)
        .with_context(|| format!("creating {}", args.output.display()))?;
    let created = time::OffsetDateTime::now_utc();
    for table in [data.adsl_table(), data.adisn_table()] {
        let stem = table.name.to_lowercase();
        write(&args.output, &format!("{stem}.csv"), &csv_bytes(&table)?)?;
        let mut bytes = Vec::new();
        xpt::write_dataset(&mut bytes, &dataset(table), created)
            .with_context(|| format!("{stem}.xpt"))?;
        write(&args.output, &format!("{stem}.xpt"), &bytes)?;
    }
    let json = serde_json::to_string_pretty(&results)?;
    write(&args.output, "results.json", json.as_bytes())?;
    for (zh, lang) in [(false, "en"), (true, "zh")] {
        let figures = Figures::of(&study, &data, results.consort.as_ref(), zh).with_png_links("");
        for (stem, svg) in figures.named() {
            write(
                &args.output,
                &figures.file_name(stem, "svg"),
                svg.as_bytes(),
            )?;
            let name = figures.file_name(stem, "png");
            let png = png::svg_to_png(svg, png::PRINT_SCALE).with_context(|| name.clone())?;
            write(&args.output, &name, &png)?;
        }
        let note = lock_note(lock.as_ref(), zh);
        let body = report_html(&study, &results, &figures, &note, zh);
        let html = report_document(&study, &body, zh);
        write(
            &args.output,
            &format!("report.{lang}.html"),
            html.as_bytes(),
        )?;
    }
    println!(
        "{} participants of study {}, {} results, in {} ms",
        data.adsl.len(),
        study.id,
        if results.unblinded {
            "by arm"
        } else {
            "pooled"
        },
        started.elapsed().as_millis()
    );
    Ok(())
}

/// What the report says of the database lock.
fn lock_note(lock: Option<&store::StudyLock>, zh: bool) -> String {
    match (lock, zh) {
        (None, false) => "The database is not locked: these results are interim.".to_owned(),
        (None, true) => "数据库尚未锁定：以下为期中结果。".to_owned(),
        (Some(l), false) => format!(
            "Database locked at {} by {}{}.",
            l.locked_at,
            l.locker_name,
            l.unblinded_at
                .as_deref()
                .map(|at| format!("; study unblinded at {at}"))
                .unwrap_or_default()
        ),
        (Some(l), true) => format!(
            "数据库已于 {} 由 {} 锁定{}。",
            l.locked_at,
            l.locker_name,
            l.unblinded_at
                .as_deref()
                .map(|at| format!("；研究已于 {at} 揭盲"))
                .unwrap_or_default()
        ),
    }
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> Result<()> {
    let path = dir.join(name);
    std::fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))?;
    println!("{}", path.display());
    Ok(())
}

/// The table as CSV: a header row of the variables' names, then one line per record.
fn csv_bytes(table: &Table) -> Result<Vec<u8>> {
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(table.columns.iter().map(|c| c.name.as_str()))?;
    for row in &table.rows {
        for cell in row {
            // Text as it is, without a copy; the rest as `Cell::csv` writes it.
            match cell {
                Cell::Text(t) => out.write_field(t)?,
                other => out.write_field(other.csv())?,
            }
        }
        out.write_record(None::<&[u8]>)?;
    }
    Ok(out.into_inner().map_err(|e| e.into_error())?)
}

/// The table as a transport dataset: text as wide as its longest value (at least 1 byte),
/// numbers as they are, dates as SAS dates with the `DATE9` format. The table's text is
/// moved, not copied.
fn dataset(table: Table) -> xpt::Dataset {
    let variables = table
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| match c.kind {
            Kind::Text => {
                let width = table
                    .rows
                    .iter()
                    .map(|r| match r.get(i) {
                        Some(Cell::Text(t)) => t.len(),
                        _ => 0,
                    })
                    .max()
                    .unwrap_or(0)
                    .max(1);
                xpt::Variable::text(&c.name, &c.label, width)
            }
            Kind::Number => xpt::Variable::number(&c.name, &c.label),
            Kind::Date => xpt::Variable {
                format: "DATE9".into(),
                ..xpt::Variable::number(&c.name, &c.label)
            },
        })
        .collect();
    let records = table
        .rows
        .into_iter()
        .map(|row| {
            row.into_iter()
                .map(|cell| match cell {
                    Cell::Text(t) => xpt::Value::Text(t),
                    Cell::Number(Some(n)) => xpt::Value::Number(n),
                    Cell::Date(Some(d)) => xpt::Value::Number(xpt::sas_date(d)),
                    Cell::Number(None) | Cell::Date(None) => xpt::Value::Missing,
                })
                .collect()
        })
        .collect();
    xpt::Dataset {
        name: table.name,
        label: table.label,
        variables,
        records,
    }
}
