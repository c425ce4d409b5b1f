//! Define-XML 2.1 (`define.xml`) of the SDTM datasets: each dataset (its class, structure,
//! keys and file) and each of its variables with its label, data type, length, origin and code
//! list, labels in English and Simplified Chinese (`TranslatedText xml:lang="zh-Hans"` beside
//! `xml:lang="en"`), and the code lists of the values the datasets hold; the sponsor-defined
//! test codes of the ISNCSCI exam (NVTESTCD) are declared whole, with a comment saying so.
//!
//! Pure: written from the profiles ([`super::profile`]) of the datasets already mapped and
//! checked, so that what it describes is exactly what the files hold (types and lengths are
//! those of the transport file; a numeric variable is `integer` when every value is whole,
//! else `float` with its significant digits; dates are `date` when every value is a full
//! date, else `partialDate`).

use std::fmt::Write as _;

use isncsci::flat::Field;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use trial::safety::escape_xml as esc;
use trial::Study;

use super::codes::{exam_test, RESULTS};
use super::define_zh::{domain_zh, exam_test_zh, result_zh, term_zh, variable_zh};
use super::profile::Profile;
use crate::xpt::Kind;

/// The file's name beside the datasets.
pub const DEFINE_FILE: &str = "define.xml";

/// The SDTM implementation guide the datasets follow.
const SDTMIG: &str = "3.4";

/// What Define-XML says of a domain: its class, its structure and its key variables.
struct Domain {
    class: Option<&'static str>,
    structure: &'static str,
    keys: &'static [&'static str],
}

fn domain(name: &str) -> Domain {
    let d = |class, structure, keys| Domain {
        class: Some(class),
        structure,
        keys,
    };
    match name {
        "DM" => d(
            "SPECIAL PURPOSE",
            "One record per subject",
            &["STUDYID", "USUBJID"],
        ),
        "SV" => d(
            "SPECIAL PURPOSE",
            "One record per subject per actual visit",
            &["STUDYID", "USUBJID", "VISITNUM"],
        ),
        "AE" => d(
            "EVENTS",
            "One record per adverse event per subject",
            &["STUDYID", "USUBJID", "AESEQ"],
        ),
        "DS" => d(
            "EVENTS",
            "One record per disposition status or protocol milestone per subject",
            &["STUDYID", "USUBJID", "DSSEQ"],
        ),
        "CM" => d(
            "INTERVENTIONS",
            "One record per recorded intervention occurrence per subject",
            &["STUDYID", "USUBJID", "CMSEQ"],
        ),
        "EX" => d(
            "INTERVENTIONS",
            "One record per constant dosing interval per subject",
            &["STUDYID", "USUBJID", "EXTRT", "EXSTDTC"],
        ),
        "VS" => d(
            "FINDINGS",
            "One record per vital sign measurement per visit per subject",
            &["STUDYID", "USUBJID", "VSTESTCD", "VISITNUM"],
        ),
        "QS" => d(
            "FINDINGS",
            "One record per questionnaire per question per visit per subject",
            &["STUDYID", "USUBJID", "QSTESTCD", "VISITNUM"],
        ),
        "NV" => d(
            "FINDINGS",
            "One record per finding per location per visit per subject",
            &["STUDYID", "USUBJID", "NVTESTCD", "VISITNUM"],
        ),
        "TA" => d(
            "TRIAL DESIGN",
            "One record per planned Element per Arm",
            &["STUDYID", "ARMCD", "TAETORD"],
        ),
        "TE" => d(
            "TRIAL DESIGN",
            "One record per planned Element",
            &["STUDYID", "ETCD"],
        ),
        "TV" => d(
            "TRIAL DESIGN",
            "One record per planned Visit per Arm",
            &["STUDYID", "VISITNUM", "ARMCD"],
        ),
        "TI" => d(
            "TRIAL DESIGN",
            "One record per I/E criterion",
            &["STUDYID", "IETESTCD"],
        ),
        "TS" => d(
            "TRIAL DESIGN",
            "One record per trial summary parameter value",
            &["STUDYID", "TSPARMCD", "TSSEQ"],
        ),
        _ => Domain {
            class: None,
            structure: "One record per observation",
            keys: &[],
        },
    }
}

/// Whether the domain describes the trial's design (its values come from the protocol).
fn is_design(domain: &str) -> bool {
    matches!(domain, "TA" | "TE" | "TV" | "TI" | "TS")
}

/// The part of a variable's name after its domain's prefix (`AESTDTC` in AE: `STDTC`).
pub(crate) fn suffix<'n>(domain: &str, name: &'n str) -> Option<&'n str> {
    name.strip_prefix(domain).filter(|s| !s.is_empty())
}

/// The origin of a variable: its type (`Collected`, `Derived`, `Assigned`, `Protocol`), its
/// source for a collected one, and a note where it needs one.
pub(crate) fn origin(domain: &str, name: &str) -> (&'static str, Option<&'static str>) {
    if is_design(domain) {
        return ("Protocol", None);
    }
    let tail = suffix(domain, name).unwrap_or("");
    match name {
        "STUDYID" | "DOMAIN" | "SUBJID" | "SITEID" | "ARMCD" | "ARM" | "ACTARMCD" | "ACTARM"
        | "VISIT" | "VISITNUM" | "VISITDY" | "COUNTRY" => return ("Assigned", None),
        "USUBJID" | "AGE" | "AGEU" | "EPOCH" | "RFSTDTC" | "RFPENDTC" => return ("Derived", None),
        "AELLT" | "AELLTCD" | "AEDECOD" | "AEBODSYS" => return ("Assigned", None),
        "DSDECOD" | "DSCAT" | "CMENRTPT" | "CMENTPT" => return ("Assigned", None),
        _ => {}
    }
    match tail {
        "SEQ" | "DY" | "STDY" | "ENDY" | "STRESC" | "STRESN" | "STRESU" | "DRVFL" => {
            ("Derived", None)
        }
        "TESTCD" | "TEST" | "CAT" | "SCAT" | "LOC" | "LAT" | "SPID" => ("Assigned", None),
        _ => ("Collected", Some("Investigator")),
    }
}

/// Whether a variable is required (never null) by the implementation guide.
fn mandatory(domain: &str, name: &str) -> bool {
    const ALWAYS: [&str; 14] = [
        "STUDYID", "DOMAIN", "USUBJID", "SUBJID", "SITEID", "SEX", "ETCD", "ELEMENT", "TAETORD",
        "VISITNUM", "IETESTCD", "IETEST", "IECAT", "TSVAL",
    ];
    if ALWAYS.contains(&name) || (domain == "TA" && matches!(name, "ARMCD" | "ARM" | "EPOCH")) {
        return true;
    }
    matches!(
        suffix(domain, name),
        Some("SEQ" | "TESTCD" | "TEST" | "TERM" | "DECOD" | "TRT" | "PARMCD" | "PARM")
    )
}

/// A variable's Define-XML data type, its length (for text and numbers) and its significant
/// digits (for a `float`).
fn data_type(ds: &Profile, i: usize) -> (&'static str, Option<usize>, Option<usize>) {
    let (var, values) = (&ds.variables[i], &ds.columns[i]);
    match var.kind {
        Kind::Text(length) => {
            if var.name.ends_with("DTC") && values.dated {
                let kind = if values.all_dates {
                    "date"
                } else if values.all_datetimes {
                    "datetime"
                } else if values.any_time {
                    "partialDatetime"
                } else {
                    "partialDate"
                };
                return (kind, None, None);
            }
            ("text", Some(length), None)
        }
        Kind::Number => {
            let widest = values.digits;
            if !values.numbers {
                ("integer", Some(8), None)
            } else if values.whole {
                ("integer", Some(widest.0), None)
            } else {
                ("float", Some(widest.0 + widest.1), Some(widest.1))
            }
        }
    }
}

/// One code list: its OID and name, and its items (code, decode, Chinese decode, whether it
/// extends the standard list).
struct CodeList {
    oid: String,
    name: String,
    items: Vec<Item>,
    comment: Option<&'static str>,
}

struct Item {
    code: String,
    decode: Option<String>,
    zh: Option<String>,
    extended: bool,
}

/// The comment on the sponsor-defined ISNCSCI test codes.
const NV_COMMENT: (&str, &str, &str) = (
    "COM.NVTESTCD",
    "Sponsor-defined test codes: no CDISC standard covers the ISNCSCI exam. One code per key \
     muscle (MOT) and dermatome (LT light touch, PP pin prick) on each side (R, L), the \
     anorectal exam (VAC, DAP), the lowest non-key muscles (RNKM, LNKM) and the 25 results \
     of the classification.",
    "申办方自定义检查代码：CDISC 标准未涵盖 ISNCSCI 检查。每侧（R 右、L 左）每块关键肌（MOT）和每个\
     关键感觉点（LT 轻触觉、PP 针刺觉）各一个代码，另有肛门检查（VAC、DAP）、最低非关键肌（RNKM、LNKM）\
     及分类的 25 项结果。",
);

/// The ISNCSCI test codes, every one, with their names in both languages.
fn nv_codes() -> CodeList {
    let exam = Field::all().map(|f| {
        let t = exam_test(f);
        (t.code, t.name, exam_test_zh(f))
    });
    let results = RESULTS
        .iter()
        .map(|(key, code, name)| (code.to_string(), name.to_string(), result_zh(key)));
    CodeList {
        oid: "CL.NV.NVTESTCD".into(),
        name: "Nervous System Findings Test Code (ISNCSCI, sponsor-defined)".into(),
        items: exam
            .chain(results)
            .map(|(code, name, zh)| Item {
                code,
                decode: Some(name),
                zh: Some(zh),
                extended: false,
            })
            .collect(),
        comment: Some(NV_COMMENT.0),
    }
}

/// The pairs of a code and its name in one dataset (`VSTESTCD` and `VSTEST`).
fn pair_of(domain: &str, name: &str) -> Option<String> {
    match (name, suffix(domain, name)) {
        ("ETCD", _) => Some("ELEMENT".into()),
        ("ARMCD", _) => Some("ARM".into()),
        ("ACTARMCD", _) => Some("ACTARM".into()),
        (_, Some("TESTCD")) => Some(format!("{domain}TEST")),
        (_, Some("PARMCD")) => Some(format!("{domain}PARM")),
        _ => None,
    }
}

/// A code list of fixed terms (CDISC's), with their decodes.
fn terms(
    name: &str,
    tail: Option<&str>,
) -> Option<(&'static str, &'static [(&'static str, &'static str)])> {
    const NY: &[(&str, &str)] = &[("Y", "Yes"), ("N", "No")];
    match (name, tail) {
        ("SEX", _) => Some(("Sex", &[("M", "Male"), ("F", "Female"), ("U", "Unknown")])),
        ("AGEU", _) => Some(("Age Unit", &[("YEARS", "Years")])),
        ("EPOCH", _) => Some((
            "Epoch",
            &[
                ("SCREENING", "Screening"),
                ("TREATMENT", "Treatment"),
                ("FOLLOW-UP", "Follow-up"),
            ],
        )),
        ("AESER" | "AESCONG" | "AESDISAB" | "AESDTH" | "AESHOSP" | "AESLIFE" | "AESMIE", _)
        | (_, Some("DRVFL")) => Some(("No Yes Response", NY)),
        _ => None,
    }
}

/// Whether variable `name` of `domain` has a code list of the values it holds: `Some` with
/// the variable whose text names each value (`VSTEST` for `VSTESTCD`), if one does. (The
/// ISNCSCI test codes are declared whole, whatever NV holds.)
pub(crate) fn coded(domain: &str, name: &str) -> Option<Option<String>> {
    if domain == "NV" && name == "NVTESTCD" {
        None
    } else if terms(name, suffix(domain, name)).is_some() {
        Some(None)
    } else {
        pair_of(domain, name).map(Some)
    }
}

/// The code list of variable `i` of `ds`, if it has one and holds a value.
fn code_list(ds: &Profile, i: usize) -> Option<CodeList> {
    let (domain, name) = (ds.name.as_str(), ds.variables[i].name.as_str());
    if domain == "NV" && name == "NVTESTCD" {
        return Some(nv_codes());
    }
    let oid = format!("CL.{domain}.{name}");
    let held = ds.columns[i].codes.as_deref().unwrap_or_default();
    if let Some((title, known)) = terms(name, suffix(domain, name)) {
        let items: Vec<Item> = held
            .iter()
            .map(|(code, _)| {
                let decode = known
                    .iter()
                    .find(|(c, _)| *c == code.as_str())
                    .map(|(_, d)| *d);
                Item {
                    zh: decode.and_then(|_| term_zh(code)).map(String::from),
                    decode: decode.map(String::from),
                    extended: decode.is_none(),
                    code: code.clone(),
                }
            })
            .collect();
        return (!items.is_empty()).then(|| CodeList {
            oid,
            name: title.into(),
            items,
            comment: None,
        });
    }
    pair_of(domain, name)?;
    let items: Vec<Item> = held
        .iter()
        .map(|(code, decode)| Item {
            code: code.clone(),
            decode: decode.clone(),
            zh: None,
            extended: false,
        })
        .collect();
    (!items.is_empty()).then(|| CodeList {
        oid,
        name: format!("{domain} {name}"),
        items,
        comment: None,
    })
}

/// `<Description>` with the English text and, when there is one, the Chinese.
fn description(out: &mut String, en: &str, zh: Option<&str>) {
    out.push_str("<Description>");
    crate::odm::texts(out, en, zh);
    out.push_str("</Description>");
}

/// The Define-XML 2.1 document of the datasets (already mapped and checked) of `study`, as
/// their profiles describe them (`Profile::of` each dataset, or the merged profiles of a
/// dataset's parts); `treatments` says whether the export includes each participant's
/// treatment (a blinded export says in the study's description that it does not).
pub fn define_xml(
    study: &Study,
    datasets: &[Profile],
    treatments: bool,
    created: OffsetDateTime,
) -> String {
    let mut out = String::with_capacity(256 * 1024);
    let created = created.format(&Rfc3339).unwrap_or_default();
    let blinding = if treatments {
        "unblinded: treatments included"
    } else {
        "blinded: no treatment (ARM, ARMCD, ACTARM, ACTARMCD left blank)"
    };
    let _ = write!(
        out,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <ODM xmlns=\"http://www.cdisc.org/ns/odm/v1.3\" \
         xmlns:def=\"http://www.cdisc.org/ns/def/v2.1\" \
         xmlns:xlink=\"http://www.w3.org/1999/xlink\" \
         ODMVersion=\"1.3.2\" FileType=\"Snapshot\" FileOID=\"DEFINE.{id}\" \
         CreationDateTime=\"{created}\" Originator=\"scitrial\" SourceSystem=\"scitrial\" \
         SourceSystemVersion=\"{version}\" def:Context=\"Submission\">\n\
         <Study OID=\"{id}\"><GlobalVariables><StudyName>{id}</StudyName>\
         <StudyDescription>{title} ({blinding})</StudyDescription>\
         <ProtocolName>{id}</ProtocolName></GlobalVariables>\n\
         <MetaDataVersion OID=\"MDV.{id}.SDTM\" Name=\"SDTM datasets of {id}\" \
         Description=\"SDTM datasets of {id}, {blinding}\" def:DefineVersion=\"2.1.0\">\n\
         <def:Standards><def:Standard OID=\"STD.SDTMIG\" Name=\"SDTMIG\" Type=\"IG\" \
         Version=\"{SDTMIG}\" Status=\"Final\"/></def:Standards>\n",
        id = esc(&study.id),
        title = esc(&study.title),
        version = env!("CARGO_PKG_VERSION"),
    );

    // The datasets.
    for ds in datasets {
        let d = domain(&ds.name);
        let (name, lower) = (esc(&ds.name), ds.name.to_lowercase());
        let _ = write!(
            out,
            "<ItemGroupDef OID=\"IG.{name}\" Name=\"{name}\" Domain=\"{name}\" \
             SASDatasetName=\"{name}\" Repeating=\"{}\" IsReferenceData=\"{}\" \
             Purpose=\"Tabulation\" def:Structure=\"{}\" def:StandardOID=\"STD.SDTMIG\" \
             def:ArchiveLocationID=\"LF.{name}\">",
            if ds.name == "DM" { "No" } else { "Yes" },
            if is_design(&ds.name) { "Yes" } else { "No" },
            esc(d.structure),
        );
        description(&mut out, &ds.label, domain_zh(&ds.name));
        for (n, v) in ds.variables.iter().enumerate() {
            let _ = write!(
                out,
                "<ItemRef ItemOID=\"IT.{name}.{var}\" OrderNumber=\"{}\" Mandatory=\"{}\"",
                n + 1,
                if mandatory(&ds.name, &v.name) {
                    "Yes"
                } else {
                    "No"
                },
                var = esc(&v.name),
            );
            if let Some(k) = d.keys.iter().position(|k| *k == v.name) {
                let _ = write!(out, " KeySequence=\"{}\"", k + 1);
            }
            out.push_str("/>");
        }
        if let Some(class) = d.class {
            let _ = write!(out, "<def:Class Name=\"{class}\"/>");
        }
        let _ = writeln!(
            out,
            "<def:leaf ID=\"LF.{name}\" xlink:href=\"{lower}.xpt\">\
             <def:title>{lower}.xpt</def:title></def:leaf></ItemGroupDef>"
        );
    }

    // The variables, and the code lists they use.
    let mut lists: Vec<CodeList> = Vec::new();
    for ds in datasets {
        for (i, v) in ds.variables.iter().enumerate() {
            let (kind, length, digits) = data_type(ds, i);
            let var = esc(&v.name);
            let _ = write!(
                out,
                "<ItemDef OID=\"IT.{}.{var}\" Name=\"{var}\" DataType=\"{kind}\" \
                 SASFieldName=\"{var}\"",
                esc(&ds.name)
            );
            if let Some(length) = length {
                let _ = write!(out, " Length=\"{length}\"");
            }
            if let Some(digits) = digits {
                let _ = write!(out, " SignificantDigits=\"{digits}\"");
            }
            out.push('>');
            description(&mut out, &v.label, variable_zh(&ds.name, &v.name));
            if let Some(list) = code_list(ds, i) {
                let _ = write!(out, "<CodeListRef CodeListOID=\"{}\"/>", esc(&list.oid));
                lists.push(list);
            }
            let (kind, source) = origin(&ds.name, &v.name);
            let _ = write!(out, "<def:Origin Type=\"{kind}\"");
            if let Some(source) = source {
                let _ = write!(out, " Source=\"{source}\"");
            }
            if ds.name == "NV" && v.name == "NVORRES" {
                out.push('>');
                description(
                    &mut out,
                    "The exam's values as entered; the classification's results (NVDRVFL Y) \
                     derived from them by the ISNCSCI algorithm",
                    Some("检查值按录入原样；分类结果（NVDRVFL 为 Y）由 ISNCSCI 算法据检查值得出"),
                );
                out.push_str("</def:Origin>");
            } else {
                out.push_str("/>");
            }
            out.push_str("</ItemDef>\n");
        }
    }
    for list in &lists {
        let data_type = if list.items.iter().all(|i| i.code.parse::<i64>().is_ok()) {
            "integer"
        } else {
            "text"
        };
        let _ = write!(
            out,
            "<CodeList OID=\"{}\" Name=\"{}\" DataType=\"{data_type}\"",
            esc(&list.oid),
            esc(&list.name)
        );
        if let Some(comment) = list.comment {
            let _ = write!(out, " def:CommentOID=\"{comment}\"");
        }
        out.push('>');
        let decoded = list.items.iter().all(|i| i.decode.is_some());
        for item in &list.items {
            let tag = if decoded {
                "CodeListItem"
            } else {
                "EnumeratedItem"
            };
            let _ = write!(out, "<{tag} CodedValue=\"{}\"", esc(&item.code));
            if item.extended {
                out.push_str(" def:ExtendedValue=\"Yes\"");
            }
            out.push('>');
            if decoded {
                out.push_str("<Decode>");
                let en = item.decode.as_deref().unwrap_or_default();
                crate::odm::texts(&mut out, en, item.zh.as_deref());
                out.push_str("</Decode>");
            }
            let _ = write!(out, "</{tag}>");
        }
        out.push_str("</CodeList>\n");
    }
    if lists.iter().any(|l| l.comment == Some(NV_COMMENT.0)) {
        let _ = write!(out, "<def:CommentDef OID=\"{}\">", NV_COMMENT.0);
        description(&mut out, NV_COMMENT.1, Some(NV_COMMENT.2));
        out.push_str("</def:CommentDef>\n");
    }
    out.push_str("</MetaDataVersion></Study></ODM>\n");
    out
}
