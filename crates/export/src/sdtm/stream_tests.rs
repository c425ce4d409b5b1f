//! The export streamed in batches of participants against the whole data mapped in memory:
//! the same files byte for byte (checked against digests recorded before the export was
//! streamed) at every batch size, blinded and unblinded, and the same refusals with nothing
//! left behind.

use serde_json::json;
use store::{SubmissionData, SubmittedForm, SubmittedVisit};
use trial::safety::PartialDate;
use trial::{ParticipantStatus, Study};

use super::tests::{data, participant, profiles, study, PHASE2};
use super::*;

/// The SHA-256 of each file in `dir`, by name, and the directory removed.
fn digests(dir: &std::path::Path) -> Vec<(String, String)> {
    use sha2::Digest;
    let mut out: Vec<(String, String)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let path = e.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            (
                name,
                hex::encode(sha2::Sha256::digest(std::fs::read(&path).unwrap())),
            )
        })
        .collect();
    out.sort();
    std::fs::remove_dir_all(dir).unwrap();
    out
}

/// [`data`] with four more subjects like the first (ids 4 to 7), each a little different:
/// longer texts, other dates, numbers with more digits, an earlier consent, other arms; so
/// that a batched export's lengths, profiles and trial summary depend on every batch.
fn data_many(treatments: bool) -> SubmissionData {
    let mut d = data(treatments);
    let base = d.clone();
    for k in 4..=7i64 {
        let mut p = participant(k, Some(&format!("00{k}")), Some(&format!("2026-02-1{k}")));
        p.consent_date = format!("2026-01-{:02}", 20 - k);
        if k % 2 == 1 {
            p.sex = "male".into();
        }
        if k == 6 {
            p.ended_on = Some("2026-05-01".into());
            p.end_reason = Some("moved away to a town far from every site".into());
            p.status = ParticipantStatus::Withdrawn;
        }
        d.participants.push(p);
        for v in base.visits.iter().filter(|v| v.participant_id == 1) {
            d.visits.push(SubmittedVisit {
                participant_id: k,
                ..v.clone()
            });
        }
        for f in base.forms.iter().filter(|f| f.participant_id == 1) {
            let mut f = SubmittedForm {
                participant_id: k,
                ..f.clone()
            };
            match f.form_id.as_str() {
                "conmed" => {
                    f.data["medication"] =
                        json!(format!("Baclofen{}", " extended".repeat(k as usize - 3)))
                }
                "vital-signs" => f.data["temperature"] = json!(36.6 + k as f64 / 100.0),
                _ => {}
            }
            d.forms.push(f);
        }
        for e in base.adverse_events.iter().filter(|e| e.participant_id == 1) {
            let mut e = e.clone();
            e.id += 10 * k;
            e.participant_id = k;
            if k == 6 {
                e.event.onset = PartialDate::parse("2026").unwrap();
                e.event.verbatim = "a headache that would not stop for days".into();
            }
            d.adverse_events.push(e);
        }
        if let Some(t) = &mut d.treatments {
            t.push(store::Treatment {
                participant_id: k,
                id: if k % 2 == 0 { "xs228" } else { "placebo" }.into(),
            });
        }
        let mut dose = base.doses[0].clone();
        dose.participant_id = k;
        dose.injected_at = format!("2026-02-1{k}T03:00:00Z");
        dose.placebo = treatments.then_some(k % 2 == 1);
        d.doses.push(dose);
    }
    d
}

/// `d` cut into batches of `size` participants, each with everything of its participants.
fn batches(d: &SubmissionData, size: usize) -> Vec<SubmissionData> {
    d.participants
        .chunks(size)
        .map(|ps| {
            let has = |id: i64| ps.iter().any(|p| p.id == id);
            SubmissionData {
                participants: ps.to_vec(),
                visits: d
                    .visits
                    .iter()
                    .filter(|v| has(v.participant_id))
                    .cloned()
                    .collect(),
                forms: d
                    .forms
                    .iter()
                    .filter(|f| has(f.participant_id))
                    .cloned()
                    .collect(),
                adverse_events: d
                    .adverse_events
                    .iter()
                    .filter(|e| has(e.participant_id))
                    .cloned()
                    .collect(),
                treatments: d.treatments.as_ref().map(|t| {
                    t.iter()
                        .filter(|t| has(t.participant_id))
                        .cloned()
                        .collect()
                }),
                doses: d
                    .doses
                    .iter()
                    .filter(|x| has(x.participant_id))
                    .cloned()
                    .collect(),
            }
        })
        .collect()
}

/// The files of the whole data in memory ([`datasets`], [`write_files`], `define.xml`), by
/// name with their SHA-256.
fn whole_digests(
    s: &Study,
    d: &SubmissionData,
    treatments: bool,
    dir: &std::path::Path,
) -> Vec<(String, String)> {
    let at = time::macros::datetime!(2026-12-06 12:00 UTC);
    let all = datasets(s, d).unwrap();
    write_files(dir, &all, at).unwrap();
    write_file(
        dir,
        DEFINE_FILE,
        define_xml(s, &profiles(&all), treatments, at).as_bytes(),
    )
    .unwrap();
    digests(dir)
}

/// The files the export wrote before it was streamed (the whole data mapped in memory and
/// written by `write_files`), by their SHA-256: of [`data`] and [`data_many`], unblinded and
/// blinded.
const REFERENCE: &[(bool, &str, &str, &str)] = &[
    (
        true,
        "data",
        "ae.xpt",
        "08593ca11f1125afad6c703c0bc6396827261dacedbadf73bc7a4dc21d9e8538",
    ),
    (
        true,
        "data",
        "cm.xpt",
        "75bb220568ebeb1c0b7291e6b8fbbde26f1705f2ebe548b70cb31542a1c588d0",
    ),
    (
        true,
        "data",
        "define.xml",
        "696d47dfed7a59908be0a08ab1a065bc1fee4a1d74580e0eae0c7859d43e5cef",
    ),
    (
        true,
        "data",
        "dm.xpt",
        "94c52d11796e56d7d532318e94df69afcf23a8324441a2fa37153f8c5ef6d208",
    ),
    (
        true,
        "data",
        "ds.xpt",
        "25a7ec3bcf9e83f34529a2ff535037abf6965692373907916609eba63fcd97f6",
    ),
    (
        true,
        "data",
        "ex.xpt",
        "cae73ca6ce7ec1510394f5e48ddbe50f6e9fbb5cd62984a863c5353db17429a8",
    ),
    (
        true,
        "data",
        "nv.xpt",
        "6bac67840a17faa668f21b78cf7606276bbaf1f054ef547e301043e6976d2538",
    ),
    (
        true,
        "data",
        "qs.xpt",
        "b30f4fc6811c97f1e8e125c656eb26555affb77a7e4534b2906df1489bf6afb9",
    ),
    (
        true,
        "data",
        "sv.xpt",
        "8cd9f6f8ebbb8e823276a5e1b1fec470176759259109bfe5a4585d7cd1a95301",
    ),
    (
        true,
        "data",
        "ta.xpt",
        "eb693586016ab02da9acbeee22563fe93e98922e8835837154bdd9aa123a2dcf",
    ),
    (
        true,
        "data",
        "te.xpt",
        "7d1b0684137732a267b849930b028b824ee3562c7d6f8bb7d196f39fd4b92cb4",
    ),
    (
        true,
        "data",
        "ti.xpt",
        "6862f76a48d7c81142c047ad244d495c99c44ab512982773f322a1506925e721",
    ),
    (
        true,
        "data",
        "ts.xpt",
        "013079cb901cb38685c2e93ab36a093eef906ed3aa410c0148960507b01300a0",
    ),
    (
        true,
        "data",
        "tv.xpt",
        "870567484f0207f3a6a7fa295098298bc1e62a0335a142fea9ba8f1fabf6e9e3",
    ),
    (
        true,
        "data",
        "vs.xpt",
        "c5c37916617a4e1e8b772af284ac6b1aec2d821631af28db2735af1d083ebaac",
    ),
    (
        true,
        "many",
        "ae.xpt",
        "9d15e2f1dabde35865c15022aba3de8938a499c9a8c31a3f35106e5f8a0bcd3f",
    ),
    (
        true,
        "many",
        "cm.xpt",
        "3628d57b883b63618eb0ad65440b4d9a8e7f30478a10faa8b087348486e59dc9",
    ),
    (
        true,
        "many",
        "define.xml",
        "c19a45ab5e8e9daa1c59e532425fd813d13a58e538b3bf6eaa2a38e2ac76269c",
    ),
    (
        true,
        "many",
        "dm.xpt",
        "9953434b10743ee130fa6c277bf517a34c311e5780ba97a36e7a7c6d82076b55",
    ),
    (
        true,
        "many",
        "ds.xpt",
        "9a5b80fe59e0478868ac9d104b0fa6b2c59c22cfdaf21fdbbb7d205cc89a8dfc",
    ),
    (
        true,
        "many",
        "ex.xpt",
        "2a73f39d377149701c610ac830fb82e5a902784dd712a9674ecc6ae7272fbcfd",
    ),
    (
        true,
        "many",
        "nv.xpt",
        "4d7934afc33528174ab7d26e9059badc8f23faf414025bebe1e5000b6bf1b660",
    ),
    (
        true,
        "many",
        "qs.xpt",
        "e729f1cfc6276240b2017fe987e9c0a0d2996724d5bba4dff6d32be4a97003e5",
    ),
    (
        true,
        "many",
        "sv.xpt",
        "5119155a6c40ccf94938bc0829728b3883dbfb1d036147f6b026cbc9d2724504",
    ),
    (
        true,
        "many",
        "ta.xpt",
        "eb693586016ab02da9acbeee22563fe93e98922e8835837154bdd9aa123a2dcf",
    ),
    (
        true,
        "many",
        "te.xpt",
        "7d1b0684137732a267b849930b028b824ee3562c7d6f8bb7d196f39fd4b92cb4",
    ),
    (
        true,
        "many",
        "ti.xpt",
        "6862f76a48d7c81142c047ad244d495c99c44ab512982773f322a1506925e721",
    ),
    (
        true,
        "many",
        "ts.xpt",
        "7cdf28d35d0274e8fd096bddb13fe949ddc7521d761c3471daaab662ad19f8ad",
    ),
    (
        true,
        "many",
        "tv.xpt",
        "870567484f0207f3a6a7fa295098298bc1e62a0335a142fea9ba8f1fabf6e9e3",
    ),
    (
        true,
        "many",
        "vs.xpt",
        "7004a2771a46f159a3f6862cec777b638b6c323b64872468c29cee1e1d813142",
    ),
    (
        false,
        "data",
        "ae.xpt",
        "08593ca11f1125afad6c703c0bc6396827261dacedbadf73bc7a4dc21d9e8538",
    ),
    (
        false,
        "data",
        "cm.xpt",
        "75bb220568ebeb1c0b7291e6b8fbbde26f1705f2ebe548b70cb31542a1c588d0",
    ),
    (
        false,
        "data",
        "define.xml",
        "14e1b41f0ea106840a07666750f8e02c9eebd7a9739158e4c4bbfc6f800981be",
    ),
    (
        false,
        "data",
        "dm.xpt",
        "6ca04edaa1f3d6427febe044524bef7d8d5693a6074211c44d82f96c66797f49",
    ),
    (
        false,
        "data",
        "ds.xpt",
        "25a7ec3bcf9e83f34529a2ff535037abf6965692373907916609eba63fcd97f6",
    ),
    (
        false,
        "data",
        "ex.xpt",
        "0f63f851a6479118c05b03ff91c169b727767e01f6139f1cc0807d2f841bde72",
    ),
    (
        false,
        "data",
        "nv.xpt",
        "6bac67840a17faa668f21b78cf7606276bbaf1f054ef547e301043e6976d2538",
    ),
    (
        false,
        "data",
        "qs.xpt",
        "b30f4fc6811c97f1e8e125c656eb26555affb77a7e4534b2906df1489bf6afb9",
    ),
    (
        false,
        "data",
        "sv.xpt",
        "8cd9f6f8ebbb8e823276a5e1b1fec470176759259109bfe5a4585d7cd1a95301",
    ),
    (
        false,
        "data",
        "ta.xpt",
        "eb693586016ab02da9acbeee22563fe93e98922e8835837154bdd9aa123a2dcf",
    ),
    (
        false,
        "data",
        "te.xpt",
        "7d1b0684137732a267b849930b028b824ee3562c7d6f8bb7d196f39fd4b92cb4",
    ),
    (
        false,
        "data",
        "ti.xpt",
        "6862f76a48d7c81142c047ad244d495c99c44ab512982773f322a1506925e721",
    ),
    (
        false,
        "data",
        "ts.xpt",
        "013079cb901cb38685c2e93ab36a093eef906ed3aa410c0148960507b01300a0",
    ),
    (
        false,
        "data",
        "tv.xpt",
        "870567484f0207f3a6a7fa295098298bc1e62a0335a142fea9ba8f1fabf6e9e3",
    ),
    (
        false,
        "data",
        "vs.xpt",
        "c5c37916617a4e1e8b772af284ac6b1aec2d821631af28db2735af1d083ebaac",
    ),
    (
        false,
        "many",
        "ae.xpt",
        "9d15e2f1dabde35865c15022aba3de8938a499c9a8c31a3f35106e5f8a0bcd3f",
    ),
    (
        false,
        "many",
        "cm.xpt",
        "3628d57b883b63618eb0ad65440b4d9a8e7f30478a10faa8b087348486e59dc9",
    ),
    (
        false,
        "many",
        "define.xml",
        "92dae4a40704d5274b18a775e2053b8b4c88e562f647ae29fb2d0b78d1e0dace",
    ),
    (
        false,
        "many",
        "dm.xpt",
        "686acb9e66c528f01bb503234d8c917e47714666d606b191c0a83f29db2bd019",
    ),
    (
        false,
        "many",
        "ds.xpt",
        "9a5b80fe59e0478868ac9d104b0fa6b2c59c22cfdaf21fdbbb7d205cc89a8dfc",
    ),
    (
        false,
        "many",
        "ex.xpt",
        "913d3c39e9b06f5ef1b1331d74dddfd8dfd8194608e94f28322da12f184705fa",
    ),
    (
        false,
        "many",
        "nv.xpt",
        "4d7934afc33528174ab7d26e9059badc8f23faf414025bebe1e5000b6bf1b660",
    ),
    (
        false,
        "many",
        "qs.xpt",
        "e729f1cfc6276240b2017fe987e9c0a0d2996724d5bba4dff6d32be4a97003e5",
    ),
    (
        false,
        "many",
        "sv.xpt",
        "5119155a6c40ccf94938bc0829728b3883dbfb1d036147f6b026cbc9d2724504",
    ),
    (
        false,
        "many",
        "ta.xpt",
        "eb693586016ab02da9acbeee22563fe93e98922e8835837154bdd9aa123a2dcf",
    ),
    (
        false,
        "many",
        "te.xpt",
        "7d1b0684137732a267b849930b028b824ee3562c7d6f8bb7d196f39fd4b92cb4",
    ),
    (
        false,
        "many",
        "ti.xpt",
        "6862f76a48d7c81142c047ad244d495c99c44ab512982773f322a1506925e721",
    ),
    (
        false,
        "many",
        "ts.xpt",
        "7cdf28d35d0274e8fd096bddb13fe949ddc7521d761c3471daaab662ad19f8ad",
    ),
    (
        false,
        "many",
        "tv.xpt",
        "870567484f0207f3a6a7fa295098298bc1e62a0335a142fea9ba8f1fabf6e9e3",
    ),
    (
        false,
        "many",
        "vs.xpt",
        "7004a2771a46f159a3f6862cec777b638b6c323b64872468c29cee1e1d813142",
    ),
];

/// The reference digests of one of the data sets.
fn reference(treatments: bool, which: &str) -> Vec<(String, String)> {
    let out: Vec<(String, String)> = REFERENCE
        .iter()
        .filter(|(t, w, ..)| *t == treatments && *w == which)
        .map(|(.., name, digest)| (name.to_string(), digest.to_string()))
        .collect();
    assert!(!out.is_empty(), "no reference for {treatments} {which}");
    out
}

#[test]
fn a_batched_export_writes_the_files_of_the_whole_data_byte_for_byte() {
    let s = study(PHASE2);
    let at = time::macros::datetime!(2026-12-06 12:00 UTC);
    for treatments in [true, false] {
        for (which, d) in [("data", data(treatments)), ("many", data_many(treatments))] {
            let expected = reference(treatments, which);
            let base = std::env::temp_dir().join(format!(
                "scitrial-sdtm-batches-{}-{treatments}-{which}",
                std::process::id()
            ));
            // The whole data in memory still writes what it did.
            assert_eq!(
                whole_digests(&s, &d, treatments, &base),
                expected,
                "{which}"
            );
            let all = datasets(&s, &d).unwrap();
            let audited: Vec<String> = all
                .iter()
                .map(|x| format!("{} {}", x.name, x.records.len()))
                .collect();
            for size in [1, 2, 3, 100] {
                let dir = base.join(format!("by{size}"));
                let mut sink = stream::Batches::new(&s, &dir).unwrap();
                for b in batches(&d, size) {
                    store::SubmissionSink::batch(&mut sink, b).unwrap();
                }
                let made = store::SubmissionSink::finish(sink).unwrap();
                assert_eq!(
                    made.contents,
                    [("datasets".to_string(), audited.join(", "))],
                    "{which} by {size}"
                );
                let written = stream::write(made.output, &s, treatments, &dir, at).unwrap();
                let records: Vec<String> = written
                    .iter()
                    .filter(|w| w.domain != "DEFINE")
                    .map(|w| format!("{} {}", w.domain, w.records))
                    .collect();
                assert_eq!(records, audited);
                // Only the files: no scratch directory, no temporary name left.
                assert_eq!(digests(&dir), expected, "{which} by {size}, {treatments}");
            }
            std::fs::remove_dir_all(&base).ok();
        }
    }
}

/// A change that makes the data refused, with the dataset, variable and record refused.
type Spoiled = (fn(&mut SubmissionData), &'static str, &'static str, usize);

#[test]
fn a_batched_export_refuses_naming_the_record_in_the_whole_dataset_and_leaves_nothing() {
    let s = study(PHASE2);
    let parent = std::env::temp_dir().join(format!("scitrial-sdtm-refused-{}", std::process::id()));
    // AE: participant 5's second event is the 6th record of AE; participant 6's first code.
    let cases: [Spoiled; 3] = [
        (
            |d| d.adverse_events[5].event.verbatim = "x".repeat(201),
            "AE",
            "AETERM",
            6,
        ),
        (
            |d| d.adverse_events[6].event.meddra_code = "HEAD".into(),
            "AE",
            "AELLTCD",
            7,
        ),
        (
            |d| {
                let f = d.forms.iter_mut().rfind(|f| f.form_id == "conmed").unwrap();
                f.data["medication"] = json!("m".repeat(300));
            },
            "CM",
            "CMTRT",
            5,
        ),
    ];
    for (spoil, dataset, variable, record) in cases {
        let mut d = data_many(false);
        spoil(&mut d);
        let whole = datasets(&s, &d).unwrap_err();
        assert_eq!(
            (
                whole.dataset.as_str(),
                whole.variable.as_deref(),
                whole.record
            ),
            (dataset, Some(variable), Some(record)),
            "{whole}"
        );
        for size in [1, 2, 100] {
            let dir = parent.join("sdtm");
            let mut sink = stream::Batches::new(&s, &dir).unwrap();
            let refused = batches(&d, size)
                .into_iter()
                .try_for_each(|b| store::SubmissionSink::batch(&mut sink, b));
            let Err(SdtmError::Invalid(p)) = refused else {
                panic!("{dataset}.{variable} by {size}: not refused");
            };
            assert_eq!(p, whole, "by {size}");
            drop(sink);
            assert!(!dir.exists(), "the directory the export made is removed");
        }
    }
    std::fs::remove_dir_all(&parent).ok();
}
