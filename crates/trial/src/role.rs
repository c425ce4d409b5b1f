//! The roles people hold in a trial.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A role in a trial. Permissions, blinding and site scope hang off it.
///
/// Serialised, parsed and displayed as its snake_case name ([`Role::as_str`]).
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The sponsor's administrator: sets up the study, its sites and its users.
    SponsorAdmin,
    /// A site investigator (principal or sub-investigator).
    Investigator,
    /// A clinical research coordinator at a site.
    Crc,
    /// A monitor who verifies a site's data against its source documents.
    Monitor,
    /// The data manager: queries, data cleaning, database lock.
    DataManager,
    /// The unblinded pharmacist or cell-processing team that prepares the product after
    /// allocation and does no clinical assessment.
    UnblindedPharmacist,
    /// The statistician who prepares unblinded summaries for the data and safety monitoring
    /// board.
    DsmbStatistician,
    /// An auditor (sponsor quality assurance or regulator): reads everything, changes nothing.
    Auditor,
    /// The sponsor's safety physician: assesses serious adverse events (causality and
    /// expectedness, kept beside the investigator's) and follows the reporting clocks; blinded.
    SafetyPhysician,
    /// The sponsor's pharmacovigilance officer: submits expedited reports of SUSARs. Blinded
    /// to the study, and shown the actual treatment of one SUSAR case at a time, for its report.
    Pharmacovigilance,
    /// A member of the data and safety monitoring board: reads the safety tables by arm and
    /// records the board's decisions (signed).
    DsmbMember,
    /// The manufacturer's quality control: registers master cell banks, lots, units and
    /// shipments, and enters and signs the release test results. Study-wide.
    Qc,
    /// The qualified person who releases (or rejects) a lot, signed, and decides on a
    /// shipment's temperature excursion. Study-wide.
    QualifiedPerson,
}

impl Role {
    /// Every role, in declaration order.
    pub const ALL: [Role; 13] = [
        Role::SponsorAdmin,
        Role::Investigator,
        Role::Crc,
        Role::Monitor,
        Role::DataManager,
        Role::UnblindedPharmacist,
        Role::DsmbStatistician,
        Role::Auditor,
        Role::SafetyPhysician,
        Role::Pharmacovigilance,
        Role::DsmbMember,
        Role::Qc,
        Role::QualifiedPerson,
    ];

    /// The snake_case name used in study definitions, URLs, storage and serialisation.
    pub const fn as_str(self) -> &'static str {
        match self {
            Role::SponsorAdmin => "sponsor_admin",
            Role::Investigator => "investigator",
            Role::Crc => "crc",
            Role::Monitor => "monitor",
            Role::DataManager => "data_manager",
            Role::UnblindedPharmacist => "unblinded_pharmacist",
            Role::DsmbStatistician => "dsmb_statistician",
            Role::Auditor => "auditor",
            Role::SafetyPhysician => "safety_physician",
            Role::Pharmacovigilance => "pharmacovigilance",
            Role::DsmbMember => "dsmb_member",
            Role::Qc => "qc",
            Role::QualifiedPerson => "qualified_person",
        }
    }

    /// The role named `name` exactly as [`Role::as_str`] writes it.
    pub fn parse(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == name)
    }

    /// The English name for people.
    pub const fn label(self) -> &'static str {
        match self {
            Role::SponsorAdmin => "Sponsor administrator",
            Role::Investigator => "Investigator",
            Role::Crc => "Clinical research coordinator",
            Role::Monitor => "Monitor",
            Role::DataManager => "Data manager",
            Role::UnblindedPharmacist => "Unblinded pharmacist",
            Role::DsmbStatistician => "DSMB statistician",
            Role::Auditor => "Auditor",
            Role::SafetyPhysician => "Safety physician",
            Role::Pharmacovigilance => "Pharmacovigilance officer",
            Role::DsmbMember => "DSMB member",
            Role::Qc => "Quality control",
            Role::QualifiedPerson => "Qualified person",
        }
    }

    /// The Simplified Chinese name for people (the terms of China's GCP: 监查 for
    /// monitoring, 稽查 for auditing).
    pub const fn label_zh(self) -> &'static str {
        match self {
            Role::SponsorAdmin => "申办方管理员",
            Role::Investigator => "研究者",
            Role::Crc => "临床研究协调员",
            Role::Monitor => "监查员",
            Role::DataManager => "数据管理员",
            Role::UnblindedPharmacist => "非盲药师",
            Role::DsmbStatistician => "数据安全监查委员会统计师",
            Role::Auditor => "稽查员",
            Role::SafetyPhysician => "安全医师",
            Role::Pharmacovigilance => "药物警戒专员",
            Role::DsmbMember => "数据安全监查委员会委员",
            Role::Qc => "质量控制人员",
            Role::QualifiedPerson => "质量受权人",
        }
    }

    /// True for the roles that are assigned per site and see only that site's participants
    /// (investigator, CRC, monitor, unblinded pharmacist); the others work study-wide.
    pub const fn is_site_scoped(self) -> bool {
        matches!(
            self,
            Role::Investigator | Role::Crc | Role::Monitor | Role::UnblindedPharmacist
        )
    }

    /// The names of all roles, comma-separated, for messages that list the allowed values.
    pub(crate) fn names() -> String {
        let names: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
        names.join(", ")
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A role name that is not one of [`Role::ALL`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown role `{name}` (allowed: {allowed})", allowed = Role::names())]
pub struct UnknownRole {
    /// The name that was given.
    pub name: String,
}

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(s: &str) -> Result<Role, UnknownRole> {
        Role::parse(s).ok_or_else(|| UnknownRole { name: s.to_owned() })
    }
}

#[cfg(test)]
mod tests {
    use super::Role;

    #[test]
    fn names_round_trip_and_match_serde() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
            assert_eq!(role.to_string(), role.as_str());
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
            let json = serde_json::to_string(&role).unwrap();
            assert_eq!(json, format!("\"{}\"", role.as_str()));
            assert_eq!(serde_json::from_str::<Role>(&json).unwrap(), role);
        }
        assert_eq!(Role::parse("CRC"), None);
        assert_eq!(Role::parse(""), None);
        let err = "pharmacist".parse::<Role>().unwrap_err().to_string();
        assert!(err.contains("`pharmacist`") && err.contains("unblinded_pharmacist"));
    }

    #[test]
    fn labels_and_scope() {
        assert_eq!(Role::Crc.label(), "Clinical research coordinator");
        assert_eq!(Role::Auditor.label_zh(), "稽查员");
        for role in Role::ALL {
            assert!(!role.label().is_empty() && !role.label_zh().is_empty());
        }
        let scoped: Vec<Role> = Role::ALL
            .into_iter()
            .filter(|r| r.is_site_scoped())
            .collect();
        assert_eq!(
            scoped,
            [
                Role::Investigator,
                Role::Crc,
                Role::Monitor,
                Role::UnblindedPharmacist
            ]
        );
        let mut sorted = Role::ALL;
        sorted.sort();
        assert_eq!(sorted, Role::ALL);
    }
}
