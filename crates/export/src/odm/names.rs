//! OpenClinica's own OIDs matched by name. OpenClinica 3 names a study event `SE_<EVENT>`, a
//! form `F_<CRF>_<VERSION>` and an item `I_<CRF PREFIX>_<ITEM>`, each part upper-cased with
//! everything but letters and digits dropped (`SE_WEEK24`, `F_VITALSIGNS_V10`,
//! `I_VITAL_SYSTOLICBP`). None of them is our OID, so each is matched to the study by name:
//! the part after the prefix (the event), its leading underscore-separated parts (the form,
//! without its version) or its trailing parts (the item, without the form's prefix), compared
//! upper-case, letters and digits only, with the visit's, form's or item's id. An OID that
//! names two of them (`I_VITAL_HEIGHT` with items `vital_height` and `height`) is not guessed:
//! the caller is told which.

/// The name as OpenClinica writes it in an OID: upper case, letters and digits only.
pub fn folded(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// What matching an OID by name gave.
#[derive(Debug, PartialEq, Eq)]
pub enum Named<T> {
    /// One candidate has the name.
    One(T),
    /// Several have it: their names.
    Ambiguous(Vec<String>),
    /// None has it, or the OID is not OpenClinica's.
    None,
}

/// The one candidate whose folded name is one of `parts`. Two candidates named by the parts
/// (by the same part, or by different ones) make the match ambiguous: nothing is guessed.
fn only_named<T: Copy>(parts: impl Iterator<Item = String>, candidates: &[(&str, T)]) -> Named<T> {
    let folded: Vec<String> = candidates.iter().map(|(name, _)| folded(name)).collect();
    let mut hits: Vec<usize> = Vec::new();
    for part in parts {
        for (i, f) in folded.iter().enumerate() {
            if *f == part && !hits.contains(&i) {
                hits.push(i);
            }
        }
    }
    match hits.as_slice() {
        [] => Named::None,
        [i] => Named::One(candidates[*i].1),
        many => Named::Ambiguous(many.iter().map(|i| candidates[*i].0.to_string()).collect()),
    }
}

/// The part of `oid` after `prefix`, split at underscores; none unless `oid` starts with it.
fn parts<'o>(oid: &'o str, prefix: &str) -> Option<Vec<&'o str>> {
    let rest = oid.strip_prefix(prefix)?;
    (!rest.is_empty()).then(|| rest.split('_').collect())
}

/// A study event's OpenClinica OID (`SE_WEEK24`) matched with the visits' ids.
pub fn event<T: Copy>(oid: &str, visits: &[(&str, T)]) -> Named<T> {
    match parts(oid, "SE_") {
        Some(p) => only_named(std::iter::once(folded(&p.join(""))), visits),
        None => Named::None,
    }
}

/// A form's OpenClinica OID (`F_VITALSIGNS_V10`) matched with the forms' ids by its leading
/// parts, so that the version is dropped.
pub fn form<T: Copy>(oid: &str, forms: &[(&str, T)]) -> Named<T> {
    match parts(oid, "F_") {
        Some(p) => only_named((1..=p.len()).rev().map(|n| folded(&p[..n].join(""))), forms),
        None => Named::None,
    }
}

/// An item's OpenClinica OID (`I_VITAL_SYSTOLICBP`) matched with the items' keys by its
/// trailing parts, so that the form's prefix is dropped.
pub fn item<T: Copy>(oid: &str, items: &[(&str, T)]) -> Named<T> {
    match parts(oid, "I_") {
        Some(p) => only_named((0..p.len()).map(|n| folded(&p[n..].join(""))), items),
        None => Named::None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_forms_and_items_are_matched_by_their_folded_names() {
        let visits = [("baseline", 0), ("week-24", 1), ("week-2", 2)];
        assert_eq!(event("SE_WEEK24", &visits), Named::One(1));
        assert_eq!(event("SE_WEEK2", &visits), Named::One(2));
        assert_eq!(event("SE_BASELINE", &visits), Named::One(0));
        assert_eq!(event("SE_WEEK_24", &visits), Named::One(1));
        assert_eq!(event("SE_WEEK48", &visits), Named::None);
        assert_eq!(
            event("SE.week-24", &visits),
            Named::None,
            "not OpenClinica's"
        );
        assert_eq!(event("SE_", &visits), Named::None);

        let forms = [("vital-signs", 'v'), ("isncsci", 'i'), ("scim3", 's')];
        assert_eq!(form("F_VITALSIGNS_V10", &forms), Named::One('v'));
        assert_eq!(form("F_VITAL_SIGNS_1_0", &forms), Named::One('v'));
        assert_eq!(form("F_ISNCSCI", &forms), Named::One('i'));
        assert_eq!(form("F_SCIM3_V2", &forms), Named::One('s'));
        assert_eq!(form("F_WISCI2_V1", &forms), Named::None);

        let items = [("systolic_bp", 1), ("diastolic_bp", 2), ("rightMotorC5", 3)];
        assert_eq!(item("I_VITAL_SYSTOLICBP", &items), Named::One(1));
        assert_eq!(item("I_VITAL_SYSTOLIC_BP", &items), Named::One(1));
        assert_eq!(item("I_ISNCS_RIGHTMOTORC5", &items), Named::One(3));
        assert_eq!(item("I_VITAL_PULSE", &items), Named::None);
    }

    #[test]
    fn a_name_two_candidates_share_is_not_guessed() {
        let items = [("weight_kg", 1), ("weightkg", 2), ("height", 3)];
        assert_eq!(
            item("I_VITAL_WEIGHTKG", &items),
            Named::Ambiguous(vec!["weight_kg".into(), "weightkg".into()])
        );
        let items = [("vital_height", 1), ("height", 2)];
        assert_eq!(
            item("I_VITAL_HEIGHT", &items),
            Named::Ambiguous(vec!["vital_height".into(), "height".into()])
        );
        let forms = [("vital", 1), ("vital-signs", 2)];
        assert_eq!(
            form("F_VITAL_SIGNS_V1", &forms),
            Named::Ambiguous(vec!["vital-signs".into(), "vital".into()])
        );
    }
}
