//! The laboratory tests this build knows: each test's code, LOINC code where one exists, the
//! unit its values are kept in (UCUM), the other units it converts from, the range of values
//! that are physically plausible (anything outside is a typing or unit error and is refused),
//! the limits beyond which a value is critical, and how CTCAE v5.0 grades it.
//!
//! A study's definition picks its panels and tests from here (`[labs]`); the science of each
//! test lives in one place, so that two studies grade the same value the same way.

use crate::states::named_states;

named_states! {
    /// A panel: the tests a sample is sent for together.
    pub enum Panel {
        /// Full blood count.
        Haematology = "haematology",
        /// Serum chemistry.
        Chemistry = "chemistry",
        /// Coagulation.
        Coagulation = "coagulation",
        /// Urinalysis.
        Urinalysis = "urinalysis",
        /// Cerebrospinal fluid: cells, protein, glucose.
        Csf = "csf",
        /// Cerebrospinal fluid (or serum) biomarkers of neural injury.
        CsfBiomarkers = "csf-biomarkers",
        /// Immunology: immunosuppressant trough levels.
        Immunology = "immunology",
    }
}

/// How CTCAE v5.0 grades a test's values (see [`super::grading`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Grading {
    /// Not graded from its value alone.
    None,
    /// Neutrophil count decreased.
    Neutrophils,
    /// Lymphocyte count decreased.
    Lymphocytes,
    /// Platelet count decreased.
    Platelets,
    /// Anemia (haemoglobin).
    Haemoglobin,
    /// Alanine or aspartate aminotransferase increased (multiples of ULN, or of an abnormal
    /// baseline).
    Aminotransferase,
    /// Blood bilirubin increased.
    Bilirubin,
    /// Creatinine increased (multiples of ULN and of baseline, the worse).
    Creatinine,
    /// Hyperkalaemia and hypokalaemia.
    Potassium,
    /// Hypernatraemia and hyponatraemia.
    Sodium,
    /// Hypoglycaemia (CTCAE v5.0 grades hyperglycaemia by the treatment it needs, not by value).
    Glucose,
}

/// A unit a test's values may arrive in, and the factor that brings a value in it to the
/// test's own unit (`value × factor`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct UnitFactor {
    /// The UCUM code (`mg/dL`, `10*9/L`).
    pub ucum: &'static str,
    /// Multiply by this to get the test's unit.
    pub factor: f64,
}

/// One laboratory test.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TestDef {
    /// Our code (`ALT`), as a study definition and a lab file name it.
    pub code: &'static str,
    /// The LOINC code, where one exists.
    pub loinc: Option<&'static str>,
    /// The name in English.
    pub name: &'static str,
    /// The name in Simplified Chinese.
    pub name_zh: &'static str,
    /// The panel it belongs to.
    pub panel: Panel,
    /// The unit values are kept and compared in (UCUM).
    pub unit: &'static str,
    /// Other units it is accepted in, with their factors.
    pub other_units: &'static [UnitFactor],
    /// The plausible values, in `unit`: anything outside is refused.
    pub plausible: (f64, f64),
    /// Below this a value is critical (in `unit`).
    pub critical_low: Option<f64>,
    /// Above this a value is critical (in `unit`).
    pub critical_high: Option<f64>,
    /// How CTCAE grades it.
    pub grading: Grading,
}

impl TestDef {
    /// The factor that brings a value in `unit` (UCUM, compared exactly, then ignoring case)
    /// to the test's unit; `None` for a unit the test does not take.
    pub fn factor(&self, unit: &str) -> Option<f64> {
        let unit = unit.trim();
        if unit == self.unit {
            return Some(1.0);
        }
        let exact = self.other_units.iter().find(|u| u.ucum == unit);
        exact
            .or_else(|| {
                self.other_units
                    .iter()
                    .find(|u| u.ucum.eq_ignore_ascii_case(unit))
            })
            .map(|u| u.factor)
            .or_else(|| self.unit.eq_ignore_ascii_case(unit).then_some(1.0))
    }

    /// Every unit the test takes, its own first.
    pub fn units(&self) -> Vec<&'static str> {
        std::iter::once(self.unit)
            .chain(self.other_units.iter().map(|u| u.ucum))
            .collect()
    }
}

const fn u(ucum: &'static str, factor: f64) -> UnitFactor {
    UnitFactor { ucum, factor }
}

/// Cell counts: kept in 10^9/L; 10^3/µL is the same number; cells per µL (or mm³) are a
/// thousandth of it.
const COUNT_UNITS: &[UnitFactor] = &[u("10*3/uL", 1.0), u("/uL", 0.001), u("/mm3", 0.001)];

/// Every test this build knows.
pub const TESTS: &[TestDef] = &[
    TestDef {
        code: "WBC",
        loinc: Some("6690-2"),
        name: "Leukocytes",
        name_zh: "白细胞计数",
        panel: Panel::Haematology,
        unit: "10*9/L",
        other_units: COUNT_UNITS,
        plausible: (0.0, 500.0),
        critical_low: Some(1.0),
        critical_high: Some(50.0),
        grading: Grading::None,
    },
    TestDef {
        code: "NEUT",
        loinc: Some("751-8"),
        name: "Neutrophils",
        name_zh: "中性粒细胞计数",
        panel: Panel::Haematology,
        unit: "10*9/L",
        other_units: COUNT_UNITS,
        plausible: (0.0, 200.0),
        critical_low: Some(0.5),
        critical_high: None,
        grading: Grading::Neutrophils,
    },
    TestDef {
        code: "LYMPH",
        loinc: Some("731-0"),
        name: "Lymphocytes",
        name_zh: "淋巴细胞计数",
        panel: Panel::Haematology,
        unit: "10*9/L",
        other_units: COUNT_UNITS,
        plausible: (0.0, 300.0),
        critical_low: Some(0.2),
        critical_high: None,
        grading: Grading::Lymphocytes,
    },
    TestDef {
        code: "PLT",
        loinc: Some("777-3"),
        name: "Platelets",
        name_zh: "血小板计数",
        panel: Panel::Haematology,
        unit: "10*9/L",
        other_units: COUNT_UNITS,
        plausible: (0.0, 3000.0),
        critical_low: Some(25.0),
        critical_high: Some(1000.0),
        grading: Grading::Platelets,
    },
    TestDef {
        code: "HGB",
        loinc: Some("718-7"),
        name: "Haemoglobin",
        name_zh: "血红蛋白",
        panel: Panel::Haematology,
        unit: "g/dL",
        // 1 mmol/L of haemoglobin (as iron-binding monomer, 16.114 g/mol per mmol) = 1.6114 g/dL.
        other_units: &[u("g/L", 0.1), u("mmol/L", 1.6114)],
        plausible: (1.0, 25.0),
        critical_low: Some(7.0),
        critical_high: Some(20.0),
        grading: Grading::Haemoglobin,
    },
    TestDef {
        code: "ALT",
        loinc: Some("1742-6"),
        name: "Alanine aminotransferase",
        name_zh: "丙氨酸氨基转移酶",
        panel: Panel::Chemistry,
        unit: "U/L",
        // 1 µkat/L = 60 µmol/min/L = 60 U/L.
        other_units: &[u("ukat/L", 60.0)],
        plausible: (0.0, 20000.0),
        critical_low: None,
        critical_high: Some(1000.0),
        grading: Grading::Aminotransferase,
    },
    TestDef {
        code: "AST",
        loinc: Some("1920-8"),
        name: "Aspartate aminotransferase",
        name_zh: "天门冬氨酸氨基转移酶",
        panel: Panel::Chemistry,
        unit: "U/L",
        other_units: &[u("ukat/L", 60.0)],
        plausible: (0.0, 20000.0),
        critical_low: None,
        critical_high: Some(1000.0),
        grading: Grading::Aminotransferase,
    },
    TestDef {
        code: "BILI",
        loinc: Some("1975-2"),
        name: "Bilirubin, total",
        name_zh: "总胆红素",
        panel: Panel::Chemistry,
        unit: "umol/L",
        // 584.66 g/mol: 1 mg/dL = 17.10 µmol/L.
        other_units: &[u("mg/dL", 17.1)],
        plausible: (0.0, 1000.0),
        critical_low: None,
        critical_high: Some(250.0),
        grading: Grading::Bilirubin,
    },
    TestDef {
        code: "CREAT",
        loinc: Some("2160-0"),
        name: "Creatinine",
        name_zh: "肌酐",
        panel: Panel::Chemistry,
        unit: "umol/L",
        // 113.12 g/mol: 1 mg/dL = 88.42 µmol/L.
        other_units: &[u("mg/dL", 88.42)],
        plausible: (5.0, 3000.0),
        critical_low: None,
        critical_high: Some(700.0),
        grading: Grading::Creatinine,
    },
    TestDef {
        code: "K",
        loinc: Some("2823-3"),
        name: "Potassium",
        name_zh: "钾",
        panel: Panel::Chemistry,
        unit: "mmol/L",
        other_units: &[u("meq/L", 1.0)],
        plausible: (1.0, 12.0),
        critical_low: Some(2.5),
        critical_high: Some(6.5),
        grading: Grading::Potassium,
    },
    TestDef {
        code: "NA",
        loinc: Some("2951-2"),
        name: "Sodium",
        name_zh: "钠",
        panel: Panel::Chemistry,
        unit: "mmol/L",
        other_units: &[u("meq/L", 1.0)],
        plausible: (90.0, 200.0),
        critical_low: Some(120.0),
        critical_high: Some(160.0),
        grading: Grading::Sodium,
    },
    TestDef {
        code: "GLUC",
        loinc: Some("2345-7"),
        name: "Glucose",
        name_zh: "葡萄糖",
        panel: Panel::Chemistry,
        unit: "mmol/L",
        // 180.16 g/mol: 1 mg/dL = 0.05551 mmol/L.
        other_units: &[u("mg/dL", 0.05551)],
        plausible: (0.5, 100.0),
        critical_low: Some(2.2),
        critical_high: Some(25.0),
        grading: Grading::Glucose,
    },
    TestDef {
        code: "INR",
        loinc: Some("6301-6"),
        name: "INR",
        name_zh: "国际标准化比值",
        panel: Panel::Coagulation,
        unit: "{INR}",
        other_units: &[u("1", 1.0)],
        plausible: (0.5, 20.0),
        critical_low: None,
        critical_high: Some(5.0),
        grading: Grading::None,
    },
    TestDef {
        code: "APTT",
        loinc: Some("3173-2"),
        name: "aPTT",
        name_zh: "活化部分凝血活酶时间",
        panel: Panel::Coagulation,
        unit: "s",
        other_units: &[],
        plausible: (5.0, 300.0),
        critical_low: None,
        critical_high: Some(100.0),
        grading: Grading::None,
    },
    TestDef {
        code: "UPROT",
        loinc: Some("5804-0"),
        name: "Urine protein (strip)",
        name_zh: "尿蛋白（试纸）",
        panel: Panel::Urinalysis,
        unit: "mg/dL",
        other_units: &[u("g/L", 100.0)],
        plausible: (0.0, 2000.0),
        critical_low: None,
        critical_high: None,
        grading: Grading::None,
    },
    TestDef {
        code: "CSFWBC",
        loinc: Some("806-0"),
        name: "CSF leukocytes",
        name_zh: "脑脊液白细胞",
        panel: Panel::Csf,
        unit: "/uL",
        other_units: &[u("/mm3", 1.0), u("10*6/L", 1.0)],
        plausible: (0.0, 100000.0),
        critical_low: None,
        critical_high: Some(100.0),
        grading: Grading::None,
    },
    TestDef {
        code: "CSFPROT",
        loinc: Some("2880-3"),
        name: "CSF protein",
        name_zh: "脑脊液蛋白",
        panel: Panel::Csf,
        unit: "mg/dL",
        other_units: &[u("g/L", 100.0)],
        plausible: (0.0, 5000.0),
        critical_low: None,
        critical_high: Some(500.0),
        grading: Grading::None,
    },
    TestDef {
        code: "CSFGLUC",
        loinc: Some("2342-4"),
        name: "CSF glucose",
        name_zh: "脑脊液葡萄糖",
        panel: Panel::Csf,
        unit: "mmol/L",
        other_units: &[u("mg/dL", 0.05551)],
        plausible: (0.0, 50.0),
        critical_low: Some(1.0),
        critical_high: None,
        grading: Grading::None,
    },
    TestDef {
        code: "NFL",
        loinc: None,
        name: "Neurofilament light (CSF)",
        name_zh: "神经丝轻链（脑脊液）",
        panel: Panel::CsfBiomarkers,
        unit: "pg/mL",
        other_units: &[u("ng/L", 1.0), u("ng/mL", 1000.0)],
        plausible: (0.0, 1_000_000.0),
        critical_low: None,
        critical_high: None,
        grading: Grading::None,
    },
    TestDef {
        code: "GFAP",
        loinc: None,
        name: "Glial fibrillary acidic protein (CSF)",
        name_zh: "胶质纤维酸性蛋白（脑脊液）",
        panel: Panel::CsfBiomarkers,
        unit: "pg/mL",
        other_units: &[u("ng/L", 1.0), u("ng/mL", 1000.0)],
        plausible: (0.0, 10_000_000.0),
        critical_low: None,
        critical_high: None,
        grading: Grading::None,
    },
    TestDef {
        code: "TACRO",
        loinc: None,
        name: "Tacrolimus trough",
        name_zh: "他克莫司谷浓度",
        panel: Panel::Immunology,
        unit: "ng/mL",
        other_units: &[u("ug/L", 1.0)],
        plausible: (0.0, 200.0),
        critical_low: None,
        critical_high: Some(30.0),
        grading: Grading::None,
    },
];

/// The test of a code (exactly as written, then ignoring case).
pub fn test(code: &str) -> Option<&'static TestDef> {
    let code = code.trim();
    TESTS
        .iter()
        .find(|t| t.code == code)
        .or_else(|| TESTS.iter().find(|t| t.code.eq_ignore_ascii_case(code)))
}

/// The codes of every test, in catalogue order.
pub fn codes() -> Vec<&'static str> {
    TESTS.iter().map(|t| t.code).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_units_convert() {
        let mut codes = codes();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), TESTS.len());
        let hgb = test("hgb").unwrap();
        assert_eq!(hgb.factor("g/L"), Some(0.1));
        assert_eq!(hgb.factor("g/dL"), Some(1.0));
        assert_eq!(hgb.factor("mg/dL"), None);
        let creat = test("CREAT").unwrap();
        assert!((1.0 * creat.factor("mg/dL").unwrap() - 88.42).abs() < 1e-9);
        assert_eq!(test("PLT").unwrap().factor("/uL"), Some(0.001));
        for t in TESTS {
            assert!(t.plausible.0 < t.plausible.1, "{}", t.code);
            assert_eq!(t.units()[0], t.unit);
        }
    }
}
