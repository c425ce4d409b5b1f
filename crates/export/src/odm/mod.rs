//! CDISC ODM 1.3.2: a study's metadata (its visits as study events, forms, item groups, items,
//! code lists and units, in English and Simplified Chinese) and every participant's clinical
//! data with its audit trail, as a transactional file.
//!
//! Each value's history is written as the ODM way has it: one `ItemData` per change, oldest
//! first, with its `TransactionType` (`Insert` for the first value, `Update` for a change,
//! `Remove` for a value taken away) and its `AuditRecord` (who, when, why, the row of our audit
//! trail it comes from), so that the old values are the earlier transactions and the last one
//! is the value held. A value the trail does not account for is written last as an `Upsert`
//! without an audit record. Each visit's (and the casebook's) latest signature that is not void
//! is its `Signature`. An unblinded export adds each participant's treatment as the one item of
//! a study event of its own (`SE.TREATMENT`); a blinded one has neither that event nor its
//! metadata, and says it is blinded in the file's description.
//!
//! [`Writer`] writes as it is given: the metadata first, then the accounts, then one casebook
//! at a time, so memory stays flat whatever the number of participants. [`export`] reads the
//! casebooks through the store ([`store::Store::export_casebooks`], which audits the export in
//! the same transaction) into a temporary file, renamed once complete.

mod clinical;
pub mod import;
pub mod metadata;
mod names;

use std::fmt::Write as _;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use store::{Actor, Casebook, CasebookPart, Scope, Store};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use trial::safety::escape_xml as esc;
use trial::{Meaning, Study};

use metadata::{event_oid, form_oid, groups, unit_oid, units, TREATMENT};

/// What can go wrong in an ODM export.
#[derive(Debug, thiserror::Error)]
pub enum OdmError {
    /// The store failed.
    #[error("{0}")]
    Store(#[from] store::StoreError),
    /// The file could not be written.
    #[error("writing {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
}

/// The OID of the metadata version.
fn mdv_oid(study: &Study) -> String {
    format!("MDV.{}", study.id)
}

/// `<TranslatedText>` in English and, when given, Chinese.
pub(crate) fn texts(out: &mut String, en: &str, zh: Option<&str>) {
    let _ = write!(
        out,
        "<TranslatedText xml:lang=\"en\">{}</TranslatedText>",
        esc(en)
    );
    if let Some(zh) = zh {
        let _ = write!(
            out,
            "<TranslatedText xml:lang=\"zh-Hans\">{}</TranslatedText>",
            esc(zh)
        );
    }
}

/// Writes an ODM file as it is given the parts.
pub struct Writer<W: Write> {
    out: W,
    study: Study,
    treatments: bool,
    created: String,
    users: Vec<String>,
    forms: std::collections::HashMap<String, Vec<metadata::GroupSpec>>,
    /// Casebooks written.
    pub casebooks: usize,
}

impl<W: Write> Writer<W> {
    /// Starts the file: the root and the study's metadata. `treatments` says whether the
    /// export includes each participant's treatment.
    pub fn begin(
        mut out: W,
        study: &Study,
        treatments: bool,
        created: OffsetDateTime,
    ) -> io::Result<Writer<W>> {
        let created = created.format(&Rfc3339).unwrap_or_default();
        let blinding = if treatments {
            "unblinded: treatments included"
        } else {
            "blinded: no treatment"
        };
        let id = esc(&study.id);
        let mut s = String::with_capacity(256 * 1024);
        let _ = write!(
            s,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
             <ODM xmlns=\"http://www.cdisc.org/ns/odm/v1.3\" ODMVersion=\"1.3.2\" \
             FileType=\"Transactional\" Granularity=\"All\" FileOID=\"ODM.{id}.{stamp}\" \
             CreationDateTime=\"{created}\" Originator=\"scitrial\" SourceSystem=\"scitrial\" \
             SourceSystemVersion=\"{version}\" Description=\"{id} casebooks, {blinding}\">\n\
             <Study OID=\"{id}\"><GlobalVariables><StudyName>{id}</StudyName>\
             <StudyDescription>{title}</StudyDescription><ProtocolName>{id}</ProtocolName>\
             </GlobalVariables>\n",
            stamp = created.replace([':', '-', '+'], ""),
            title = esc(&study.title),
            version = env!("CARGO_PKG_VERSION"),
        );
        let units = units(study);
        if !units.is_empty() {
            s.push_str("<BasicDefinitions>");
            for (n, (en, zh)) in units.iter().enumerate() {
                let _ = write!(
                    s,
                    "<MeasurementUnit OID=\"{}\" Name=\"{}\"><Symbol>",
                    unit_oid(n),
                    esc(en)
                );
                texts(&mut s, en, zh.as_deref());
                s.push_str("</Symbol></MeasurementUnit>");
            }
            s.push_str("</BasicDefinitions>\n");
        }
        let _ = write!(
            s,
            "<MetaDataVersion OID=\"{mdv}\" Name=\"{id}\" Description=\"{id}, {blinding}\">\
             <Protocol><Description>",
            mdv = esc(&mdv_oid(study)),
        );
        texts(&mut s, &study.title, study.title_zh.as_deref());
        s.push_str("</Description>");
        for (n, v) in study.visits.iter().enumerate() {
            let _ = write!(
                s,
                "<StudyEventRef StudyEventOID=\"{}\" OrderNumber=\"{}\" Mandatory=\"Yes\"/>",
                esc(&event_oid(&v.id)),
                n + 1
            );
        }
        if treatments {
            let _ = write!(
                s,
                "<StudyEventRef StudyEventOID=\"{}\" OrderNumber=\"{}\" Mandatory=\"No\"/>",
                TREATMENT.0,
                study.visits.len() + 1
            );
        }
        s.push_str("</Protocol>\n");
        for v in &study.visits {
            let _ = write!(
                s,
                "<StudyEventDef OID=\"{}\" Name=\"{}\" Repeating=\"No\" Type=\"Scheduled\"><Description>",
                esc(&event_oid(&v.id)),
                esc(&v.name)
            );
            texts(&mut s, &v.name, v.name_zh.as_deref());
            s.push_str("</Description>");
            for (n, f) in v.forms.iter().enumerate() {
                let _ = write!(
                    s,
                    "<FormRef FormOID=\"{}\" OrderNumber=\"{}\" Mandatory=\"No\"/>",
                    esc(&form_oid(f)),
                    n + 1
                );
            }
            s.push_str("</StudyEventDef>\n");
        }
        if treatments {
            let _ = writeln!(
                s,
                "<StudyEventDef OID=\"{}\" Name=\"Treatment\" Repeating=\"No\" Type=\"Common\">\
                 <FormRef FormOID=\"{}\" OrderNumber=\"1\" Mandatory=\"Yes\"/></StudyEventDef>",
                TREATMENT.0, TREATMENT.1
            );
        }
        let all: Vec<_> = study.forms.iter().map(|f| (f, groups(f))).collect();
        for (form, groups) in &all {
            let _ = write!(
                s,
                "<FormDef OID=\"{}\" Name=\"{}\" Repeating=\"No\"><Description>",
                esc(&form_oid(&form.id)),
                esc(&form.name)
            );
            texts(&mut s, &form.name, form.name_zh.as_deref());
            s.push_str("</Description>");
            for (n, g) in groups.iter().enumerate() {
                let _ = write!(
                    s,
                    "<ItemGroupRef ItemGroupOID=\"{}\" OrderNumber=\"{}\" Mandatory=\"Yes\"/>",
                    esc(&g.oid),
                    n + 1
                );
            }
            s.push_str("</FormDef>\n");
        }
        if treatments {
            let _ = writeln!(
                s,
                "<FormDef OID=\"{}\" Name=\"Treatment\" Repeating=\"No\"><ItemGroupRef \
                 ItemGroupOID=\"{}\" OrderNumber=\"1\" Mandatory=\"Yes\"/></FormDef>",
                TREATMENT.1, TREATMENT.2
            );
        }
        for (_, groups) in &all {
            for g in groups {
                let _ = write!(
                    s,
                    "<ItemGroupDef OID=\"{}\" Name=\"{}\" Repeating=\"No\">",
                    esc(&g.oid),
                    esc(&g.name)
                );
                for (n, i) in g.items.iter().enumerate() {
                    let _ = write!(
                        s,
                        "<ItemRef ItemOID=\"{}\" OrderNumber=\"{}\" Mandatory=\"{}\"/>",
                        esc(&i.oid),
                        n + 1,
                        if i.mandatory { "Yes" } else { "No" }
                    );
                }
                s.push_str("</ItemGroupDef>\n");
            }
        }
        if treatments {
            let _ = writeln!(
                s,
                "<ItemGroupDef OID=\"{}\" Name=\"Treatment\" Repeating=\"No\"><ItemRef \
                 ItemOID=\"{}\" OrderNumber=\"1\" Mandatory=\"Yes\"/></ItemGroupDef>",
                TREATMENT.2, TREATMENT.3
            );
        }
        let mut lists = String::new();
        for (_, groups) in &all {
            for i in groups.iter().flat_map(|g| &g.items) {
                let _ = write!(
                    s,
                    "<ItemDef OID=\"{}\" Name=\"{}\" DataType=\"{}\"><Question>",
                    esc(&i.oid),
                    esc(&i.key),
                    i.data_type
                );
                texts(&mut s, &i.question.0, i.question.1.as_deref());
                s.push_str("</Question>");
                if let Some((unit, _)) = &i.unit {
                    if let Some(n) = units.iter().position(|(u, _)| u == unit) {
                        let _ = write!(
                            s,
                            "<MeasurementUnitRef MeasurementUnitOID=\"{}\"/>",
                            unit_oid(n)
                        );
                    }
                }
                if !i.codes.is_empty() {
                    let list = format!("CL.{}", &i.oid[3..]);
                    let _ = write!(s, "<CodeListRef CodeListOID=\"{}\"/>", esc(&list));
                    let kind = if i.data_type == "integer" {
                        "integer"
                    } else {
                        "text"
                    };
                    let _ = write!(
                        lists,
                        "<CodeList OID=\"{}\" Name=\"{}\" DataType=\"{kind}\">",
                        esc(&list),
                        esc(&i.key)
                    );
                    for (code, en, zh) in &i.codes {
                        let _ =
                            write!(lists, "<CodeListItem CodedValue=\"{}\"><Decode>", esc(code));
                        texts(&mut lists, en, zh.as_deref());
                        lists.push_str("</Decode></CodeListItem>");
                    }
                    lists.push_str("</CodeList>\n");
                }
                s.push_str("</ItemDef>\n");
            }
        }
        if treatments {
            let _ = write!(
                s,
                "<ItemDef OID=\"{}\" Name=\"arm\" DataType=\"text\"><Question>",
                TREATMENT.3
            );
            texts(
                &mut s,
                "Treatment (arm or dose level)",
                Some("治疗（组别或剂量水平）"),
            );
            s.push_str("</Question><CodeListRef CodeListOID=\"CL.TREATMENT.ARM\"/></ItemDef>\n");
            lists.push_str("<CodeList OID=\"CL.TREATMENT.ARM\" Name=\"arm\" DataType=\"text\">");
            let arms = study.arms.iter().map(|a| (&a.id, &a.name, &a.name_zh));
            let levels = study
                .dose_levels
                .iter()
                .map(|l| (&l.id, &l.name, &l.name_zh));
            for (code, en, zh) in arms.chain(levels) {
                let _ = write!(lists, "<CodeListItem CodedValue=\"{}\"><Decode>", esc(code));
                texts(&mut lists, en, zh.as_deref());
                lists.push_str("</Decode></CodeListItem>");
            }
            lists.push_str("</CodeList>\n");
        }
        s.push_str(&lists);
        s.push_str("</MetaDataVersion></Study>\n");
        out.write_all(s.as_bytes())?;
        let forms = all
            .into_iter()
            .map(|(form, groups)| (form.id.clone(), groups))
            .collect();
        Ok(Writer {
            out,
            forms,
            study: study.clone(),
            treatments,
            created,
            users: Vec::new(),
            casebooks: 0,
        })
    }

    /// Writes the administrative data (the accounts, each site as a location, a signature
    /// definition per meaning) and opens the clinical data.
    pub fn users(&mut self, users: &[(String, String)]) -> io::Result<()> {
        let mut s = format!("<AdminData StudyOID=\"{}\">", esc(&self.study.id));
        let system = ("system".to_string(), "scitrial (the system)".to_string());
        let mut all: Vec<&(String, String)> = users.iter().collect();
        if !users.iter().any(|(u, _)| u == "system") {
            all.push(&system);
        }
        for (username, full_name) in all {
            let _ = write!(
                s,
                "<User OID=\"{}\"><LoginName>{}</LoginName><FullName>{}</FullName></User>",
                esc(&clinical::user_oid(username)),
                esc(username),
                esc(full_name)
            );
            self.users.push(username.clone());
        }
        let date = self.created.get(..10).unwrap_or("1970-01-01").to_string();
        for site in &self.study.sites {
            let _ = write!(
                s,
                "<Location OID=\"{}\" Name=\"{}\" LocationType=\"Site\"><MetaDataVersionRef \
                 StudyOID=\"{}\" MetaDataVersionOID=\"{}\" EffectiveDate=\"{date}\"/></Location>",
                esc(&clinical::location_oid(&site.id)),
                esc(&site.name),
                esc(&self.study.id),
                esc(&mdv_oid(&self.study)),
            );
        }
        for m in Meaning::ALL {
            let _ = write!(
                s,
                "<SignatureDef OID=\"{}\" Methodology=\"Electronic\"><Meaning>{}</Meaning>\
                 <LegalReason>Electronic signature under 21 CFR Part 11: the signer re-entered \
                 their password, bound to the data signed</LegalReason></SignatureDef>",
                clinical::signature_oid(m.as_str()),
                m.as_str()
            );
        }
        let _ = write!(
            s,
            "</AdminData>\n<ClinicalData StudyOID=\"{}\" MetaDataVersionOID=\"{}\">\n",
            esc(&self.study.id),
            esc(&mdv_oid(&self.study))
        );
        self.out.write_all(s.as_bytes())
    }

    /// Writes one participant's casebook.
    pub fn casebook(&mut self, book: &Casebook) -> io::Result<()> {
        let s = clinical::subject(&self.study, &self.forms, self.treatments, book);
        self.casebooks += 1;
        self.out.write_all(s.as_bytes())
    }

    /// Closes the clinical data and the file, and gives back the output.
    pub fn finish(mut self) -> io::Result<W> {
        self.out.write_all(b"</ClinicalData>\n</ODM>\n")?;
        self.out.flush()?;
        Ok(self.out)
    }
}

/// Exports the study's casebooks to `path` as ODM 1.3.2: the metadata, then each participant's
/// casebook as the store reads it, into a temporary file beside `path` that is synced and
/// renamed once the store has audited the export. Treatments only when `unblinded` (or in an
/// open-label study). Gives the number of casebooks written.
pub async fn export(
    store: &Store,
    study: &Study,
    scope: &Scope,
    unblinded: bool,
    by: &Actor,
    path: &Path,
    created: OffsetDateTime,
) -> Result<usize, OdmError> {
    let treatments = crate::sdtm::includes_treatments(study, unblinded);
    let io_error = |p: &Path| {
        let path = p.to_path_buf();
        move |source| OdmError::Io { path, source }
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| "odm.xml".into());
    let temporary = path.with_file_name(format!(".{name}.partial"));
    let file = std::fs::File::create(&temporary).map_err(io_error(&temporary))?;
    let out = io::BufWriter::with_capacity(1 << 16, file);
    let writer = Writer::begin(out, study, treatments, created).map_err(io_error(&temporary))?;
    let mut writer = Some(writer);
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    let outcome = store
        .export_casebooks(scope, treatments, by, move |part| {
            let Some(w) = writer.as_mut() else {
                return Ok(());
            };
            match part {
                CasebookPart::Users(users) => w.users(&users),
                CasebookPart::Casebook(book) => w.casebook(&book),
                CasebookPart::End => {
                    let Some(w) = writer.take() else {
                        return Ok(());
                    };
                    let count = w.casebooks;
                    let file = w.finish()?.into_inner().map_err(|e| e.into_error())?;
                    file.sync_all()?;
                    let _ = done_tx.send(count);
                    Ok(())
                }
            }
        })
        .await;
    let failed = |e: OdmError| {
        let _ = std::fs::remove_file(&temporary);
        e
    };
    outcome
        .map_err(OdmError::from)
        .and_then(|written| written.map_err(io_error(&temporary)))
        .map_err(failed)?;
    let count = done_rx.try_recv().unwrap_or(0);
    std::fs::rename(&temporary, path).map_err(io_error(path))?;
    Ok(count)
}

#[cfg(test)]
mod import_tests;
#[cfg(test)]
mod tests;
