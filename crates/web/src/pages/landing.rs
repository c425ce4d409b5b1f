//! Where each role starts its work: after signing in (and on choosing a study) a user goes to
//! the page of their own work in the study, a pure function of the roles they hold there.

use trial::Role;

use super::encode;

/// The work a role starts with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Work {
    /// The study's dashboard (the sponsor administrator).
    Dashboard,
    /// The site's participants and their due visits (investigator, coordinator).
    SiteParticipants,
    /// Forms to verify and open queries (monitor).
    OpenQueries,
    /// The table of forms by state, site and visit (data manager; the `forms` pages).
    FormStates,
    /// Kits to prepare and dispense (unblinded pharmacist; the `journey` pages).
    KitsToPrepare,
    /// The safety tables (DSMB statistician and members).
    SafetyTables,
    /// The safety reporting clocks (safety physician, pharmacovigilance).
    SafetyClocks,
    /// The audit trail (auditor).
    AuditTrail,
    /// The cell product's lots, release and shipments (QC, the qualified person).
    Product,
}

/// The work of one role.
pub fn work_of(role: Role) -> Work {
    match role {
        Role::SponsorAdmin => Work::Dashboard,
        Role::Investigator | Role::Crc => Work::SiteParticipants,
        Role::Monitor => Work::OpenQueries,
        Role::DataManager => Work::FormStates,
        Role::UnblindedPharmacist => Work::KitsToPrepare,
        Role::DsmbStatistician | Role::DsmbMember => Work::SafetyTables,
        Role::SafetyPhysician | Role::Pharmacovigilance => Work::SafetyClocks,
        Role::Auditor => Work::AuditTrail,
        Role::Qc | Role::QualifiedPerson => Work::Product,
    }
}

/// Where a user holding `roles` in a study starts: the work of the first of their roles in the
/// order of [`Role::ALL`] (the sponsor's overview first, then the sites' work, then the
/// reviewers'); the dashboard for no role.
pub fn landing(roles: &[Role]) -> Work {
    Role::ALL
        .into_iter()
        .find(|r| roles.contains(r))
        .map_or(Work::Dashboard, work_of)
}

impl Work {
    /// The page of this work in a study.
    pub fn path(self, study: &str) -> String {
        let study = encode(study);
        match self {
            Work::Dashboard => format!("/studies/{study}"),
            Work::SiteParticipants => format!("/studies/{study}/participants"),
            Work::OpenQueries => format!("/studies/{study}/queries?status=open"),
            Work::FormStates => format!("/studies/{study}/forms"),
            Work::KitsToPrepare => format!("/studies/{study}/kits"),
            Work::SafetyTables => format!("/studies/{study}/safety/dsmb"),
            Work::SafetyClocks => format!("/studies/{study}/safety"),
            Work::AuditTrail => format!("/studies/{study}/audit"),
            Work::Product => format!("/studies/{study}/product"),
        }
    }

    /// The message key naming this work.
    pub fn key(self) -> &'static str {
        match self {
            Work::Dashboard => "work.dashboard",
            Work::SiteParticipants => "work.participants",
            Work::OpenQueries => "work.queries",
            Work::FormStates => "work.forms",
            Work::KitsToPrepare => "work.kits",
            Work::SafetyTables => "work.dsmb",
            Work::SafetyClocks => "work.clocks",
            Work::AuditTrail => "work.audit",
            Work::Product => "work.product",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_role_lands_on_its_own_work() {
        use Role::*;
        for (role, work, path) in [
            (SponsorAdmin, Work::Dashboard, "/studies/x"),
            (
                Investigator,
                Work::SiteParticipants,
                "/studies/x/participants",
            ),
            (Crc, Work::SiteParticipants, "/studies/x/participants"),
            (Monitor, Work::OpenQueries, "/studies/x/queries?status=open"),
            (DataManager, Work::FormStates, "/studies/x/forms"),
            (UnblindedPharmacist, Work::KitsToPrepare, "/studies/x/kits"),
            (
                DsmbStatistician,
                Work::SafetyTables,
                "/studies/x/safety/dsmb",
            ),
            (DsmbMember, Work::SafetyTables, "/studies/x/safety/dsmb"),
            (SafetyPhysician, Work::SafetyClocks, "/studies/x/safety"),
            (Pharmacovigilance, Work::SafetyClocks, "/studies/x/safety"),
            (Auditor, Work::AuditTrail, "/studies/x/audit"),
            (Qc, Work::Product, "/studies/x/product"),
            (QualifiedPerson, Work::Product, "/studies/x/product"),
        ] {
            assert_eq!(landing(&[role]), work, "{role}");
            assert_eq!(landing(&[role]).path("x"), path, "{role}");
        }
    }

    #[test]
    fn several_roles_land_on_the_first_in_order() {
        use Role::*;
        assert_eq!(landing(&[Auditor, SponsorAdmin]), Work::Dashboard);
        assert_eq!(landing(&[Monitor, Crc]), Work::SiteParticipants);
        assert_eq!(landing(&[DsmbMember, SafetyPhysician]), Work::SafetyClocks);
        assert_eq!(landing(&[DsmbMember, Auditor]), Work::AuditTrail);
        assert_eq!(landing(&[]), Work::Dashboard);
    }

    #[test]
    fn a_study_id_is_encoded_in_the_path() {
        assert_eq!(Work::Dashboard.path("a b"), "/studies/a%20b");
    }
}
