//! Signed audit checkpoints: what anchors the audit trail outside the database.
//!
//! The trail is a hash chain per study (see the store's `chain`), so a changed, deleted,
//! inserted or reordered row breaks it. But whoever can write the database can also cut rows
//! off a chain's end and rewrite its head, delete a whole chain with its head, or rewrite a row
//! and recompute every later hash. A checkpoint closes that gap: for every chain, its id, its
//! number of rows and its head hash, with the time and the id of the key, signed with Ed25519
//! and kept outside the database. Since each row's hash covers the one before it, the head hash
//! binds rows 1..N; a trail whose row N of a chain no longer has that hash (or that has fewer
//! than N rows, or no longer has the chain) is not the one that was signed.
//!
//! Everything here is pure: the caller supplies the key's 32 random bytes, the time, and the
//! chains as the store reads them; files and the database are the callers'.
//!
//! Text forms (all ASCII, one item per line):
//! - secret key file: `scitrial audit signing key (Ed25519): keep it secret`, then
//!   `secret-key: <64 hex digits>` (the 32-byte seed), then `key-id: <16 hex digits>`;
//! - public key file: `scitrial audit public key (Ed25519)`, then `public-key: <64 hex digits>`
//!   and `key-id: …`;
//! - the key id: the first 8 bytes of SHA-256 over the 32-byte public key, in hex;
//! - a checkpoint file: one line of JSON, `{"checkpoint":BODY,"signature":"<128 hex digits>"}`,
//!   where BODY is the compact JSON of [`Checkpoint`] (members in the order of its fields,
//!   chains sorted by id) and the signature is over exactly BODY's bytes. A file that is not
//!   byte for byte in this form is refused, so no byte of it can change unnoticed.

use std::collections::{BTreeMap, BTreeSet};

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The format of a checkpoint's body, signed with it.
pub const FORMAT: &str = "scitrial-audit-checkpoint-v1";

const SECRET_TITLE: &str = "scitrial audit signing key (Ed25519): keep it secret";
const PUBLIC_TITLE: &str = "scitrial audit public key (Ed25519)";

/// What is wrong with a key or a checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    /// A key file that is not in the documented form.
    #[error("not a scitrial audit {what} key file: {problem}")]
    Key {
        /// `secret` or `public`.
        what: &'static str,
        /// What is wrong.
        problem: String,
    },
    /// A checkpoint file that is not in the documented form (or was altered outside a value).
    #[error("not a checkpoint in the canonical form (altered, or not written by scitrial): {0}")]
    Malformed(String),
    /// Signed with another key.
    #[error("signed by key {found}, not by key {expected} (the public key given)")]
    ForeignKey {
        /// The key id the checkpoint names.
        found: String,
        /// The id of the public key given.
        expected: String,
    },
    /// The signature does not verify: the checkpoint was altered, or forged.
    #[error("the signature does not verify (the checkpoint was altered or forged)")]
    BadSignature,
}

/// An Ed25519 key that signs checkpoints.
pub struct SecretKey(SigningKey);

/// The public half, which verifies them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicKey(VerifyingKey);

impl SecretKey {
    /// The key made from 32 random bytes (the caller takes them from the operating system).
    pub fn from_seed(seed: [u8; 32]) -> SecretKey {
        SecretKey(SigningKey::from_bytes(&seed))
    }

    /// Its public half.
    pub fn public(&self) -> PublicKey {
        PublicKey(self.0.verifying_key())
    }

    /// The key file's text.
    pub fn to_text(&self) -> String {
        format!(
            "{SECRET_TITLE}\nsecret-key: {}\nkey-id: {}\n",
            hex::encode(self.0.to_bytes()),
            self.public().key_id()
        )
    }

    /// Reads a key file's text.
    pub fn parse(text: &str) -> Result<SecretKey, CheckpointError> {
        let bytes = key_bytes(text, "secret", SECRET_TITLE, "secret-key")?;
        let key = SecretKey::from_seed(bytes);
        check_key_id(text, "secret", &key.public())?;
        Ok(key)
    }
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretKey({})", self.public().key_id())
    }
}

impl PublicKey {
    /// The key id: the first 8 bytes of SHA-256 over the key, in hex.
    pub fn key_id(&self) -> String {
        hex::encode(&Sha256::digest(self.0.as_bytes())[..8])
    }

    /// The key file's text.
    pub fn to_text(&self) -> String {
        format!(
            "{PUBLIC_TITLE}\npublic-key: {}\nkey-id: {}\n",
            hex::encode(self.0.as_bytes()),
            self.key_id()
        )
    }

    /// Reads a key file's text.
    pub fn parse(text: &str) -> Result<PublicKey, CheckpointError> {
        let bytes = key_bytes(text, "public", PUBLIC_TITLE, "public-key")?;
        let key = VerifyingKey::from_bytes(&bytes).map_err(|_| CheckpointError::Key {
            what: "public",
            problem: "the key is not a point of the curve".into(),
        })?;
        let key = PublicKey(key);
        check_key_id(text, "public", &key)?;
        Ok(key)
    }
}

/// The 32 bytes on the line `label: <hex>` of a key file.
fn key_bytes(
    text: &str,
    what: &'static str,
    title: &str,
    label: &str,
) -> Result<[u8; 32], CheckpointError> {
    let fail = |problem: String| CheckpointError::Key { what, problem };
    if text.lines().next() != Some(title) {
        return Err(fail(format!("the first line is not {title:?}")));
    }
    let value = line_value(text, label).ok_or_else(|| fail(format!("no {label}: line")))?;
    let mut bytes = [0u8; 32];
    hex::decode_to_slice(value, &mut bytes)
        .map_err(|_| fail(format!("{label} is not 64 hexadecimal digits")))?;
    Ok(bytes)
}

fn line_value<'t>(text: &'t str, label: &str) -> Option<&'t str> {
    text.lines()
        .find_map(|l| l.strip_prefix(label)?.strip_prefix(": "))
        .map(str::trim)
}

/// A key file's `key-id:` line, when it has one, must be the key's.
fn check_key_id(text: &str, what: &'static str, key: &PublicKey) -> Result<(), CheckpointError> {
    match line_value(text, "key-id") {
        Some(id) if id != key.key_id() => Err(CheckpointError::Key {
            what,
            problem: format!("its key-id {id} is not the key's ({})", key.key_id()),
        }),
        _ => Ok(()),
    }
}

/// One chain as signed: its id, its number of rows and the hash of its last row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChainHead {
    /// The chain: a study id, `<study>/unblinded`, or `system`.
    pub chain: String,
    /// Its rows, 1..=rows.
    pub rows: i64,
    /// The hash of row `rows`.
    pub head: String,
}

/// The signed body of a checkpoint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checkpoint {
    /// [`FORMAT`].
    pub format: String,
    /// The id of the key that signed it.
    pub key_id: String,
    /// When it was signed (UTC, the store's text form).
    pub signed_at: String,
    /// Every chain, sorted by id.
    pub chains: Vec<ChainHead>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SignedFile {
    checkpoint: Checkpoint,
    signature: String,
}

impl Checkpoint {
    /// The bytes signed.
    fn canonical(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// The file's text of a checkpoint with its signature.
fn file_text(body: &Checkpoint, signature: &Signature) -> String {
    format!(
        "{{\"checkpoint\":{},\"signature\":\"{}\"}}\n",
        body.canonical(),
        hex::encode(signature.to_bytes())
    )
}

/// Signs the chains as read at `signed_at`; returns the checkpoint and its file's text.
pub fn sign(key: &SecretKey, signed_at: &str, chains: &[ChainHead]) -> (Checkpoint, String) {
    let mut chains = chains.to_vec();
    chains.sort_by(|a, b| a.chain.cmp(&b.chain));
    let body = Checkpoint {
        format: FORMAT.into(),
        key_id: key.public().key_id(),
        signed_at: signed_at.into(),
        chains,
    };
    let signature = key.0.sign(body.canonical().as_bytes());
    let text = file_text(&body, &signature);
    (body, text)
}

/// Reads a checkpoint file's text and checks its signature with `key`.
pub fn open(text: &str, key: &PublicKey) -> Result<Checkpoint, CheckpointError> {
    let file: SignedFile =
        serde_json::from_str(text).map_err(|e| CheckpointError::Malformed(e.to_string()))?;
    let mut bytes = [0u8; 64];
    hex::decode_to_slice(&file.signature, &mut bytes).map_err(|_| {
        CheckpointError::Malformed("the signature is not 128 hexadecimal digits".into())
    })?;
    let signature = Signature::from_bytes(&bytes);
    if file_text(&file.checkpoint, &signature) != text {
        return Err(CheckpointError::Malformed(
            "the text differs from the canonical form of its content".into(),
        ));
    }
    let body = file.checkpoint;
    if body.format != FORMAT {
        return Err(CheckpointError::Malformed(format!(
            "format {:?}, expected {FORMAT:?}",
            body.format
        )));
    }
    if body.key_id != key.key_id() {
        return Err(CheckpointError::ForeignKey {
            found: body.key_id,
            expected: key.key_id(),
        });
    }
    key.0
        .verify_strict(body.canonical().as_bytes(), &signature)
        .map_err(|_| CheckpointError::BadSignature)?;
    Ok(body)
}

/// A chain as the store finds it now.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChainNow {
    /// Its rows.
    pub rows: i64,
    /// How many of its first rows verify (each follows the one before and matches its hash).
    pub verified: i64,
    /// The stored hash of the rows at the positions asked for (see [`positions`]).
    pub hashes: BTreeMap<i64, String>,
}

/// The positions of each chain whose hash the checkpoints need: their row counts.
pub fn positions<'c>(
    checkpoints: impl IntoIterator<Item = &'c Checkpoint>,
) -> BTreeMap<String, BTreeSet<i64>> {
    let mut out: BTreeMap<String, BTreeSet<i64>> = BTreeMap::new();
    for c in checkpoints {
        for head in &c.chains {
            out.entry(head.chain.clone()).or_default().insert(head.rows);
        }
    }
    out
}

/// How a chain departs from a signed checkpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Departure {
    /// The chain is gone.
    Missing,
    /// It has fewer rows than were signed.
    Shorter {
        /// Its rows now.
        rows: i64,
    },
    /// Some of its first rows, up to the signed count, do not verify.
    Unverified {
        /// The first row that does not.
        seq: i64,
    },
    /// Its row at the signed count has another hash: the rows before it were rewritten (and
    /// the later hashes recomputed), or the row was replaced.
    Differs {
        /// The signed count.
        seq: i64,
        /// The hash there now (none when the row is gone).
        now: Option<String>,
    },
}

/// A chain that departs from a checkpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// The chain.
    pub chain: String,
    /// Its rows as signed.
    pub signed_rows: i64,
    /// How it departs.
    pub departure: Departure,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (chain, n) = (&self.chain, self.signed_rows);
        match &self.departure {
            Departure::Missing => write!(f, "chain {chain} is missing (signed with {n} rows)"),
            Departure::Shorter { rows } => write!(
                f,
                "chain {chain} is shorter than signed: {rows} rows, signed with {n} (rows removed)"
            ),
            Departure::Unverified { seq } => write!(
                f,
                "chain {chain} does not verify at row {seq}, within the {n} rows signed"
            ),
            Departure::Differs { seq, now } => write!(
                f,
                "chain {chain} differs from the signed one: row {seq} has hash {}, not the \
                 signed head (rows up to it were rewritten)",
                now.as_deref().unwrap_or("none")
            ),
        }
    }
}

/// Every chain of `checkpoint` that the trail `now` departs from (empty: the trail holds every
/// signed row unchanged; rows appended since are fine).
pub fn compare(checkpoint: &Checkpoint, now: &BTreeMap<String, ChainNow>) -> Vec<Finding> {
    let mut findings = Vec::new();
    for head in checkpoint.chains.iter().filter(|h| h.rows > 0) {
        let departure = match now.get(&head.chain) {
            None => Some(Departure::Missing),
            Some(c) if c.rows == 0 => Some(Departure::Missing),
            Some(c) if c.rows < head.rows => Some(Departure::Shorter { rows: c.rows }),
            Some(c) if c.verified < head.rows => Some(Departure::Unverified {
                seq: c.verified + 1,
            }),
            Some(c) => {
                let at = c.hashes.get(&head.rows);
                (at != Some(&head.head)).then(|| Departure::Differs {
                    seq: head.rows,
                    now: at.cloned(),
                })
            }
        };
        if let Some(departure) = departure {
            findings.push(Finding {
                chain: head.chain.clone(),
                signed_rows: head.rows,
                departure,
            });
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: u8) -> SecretKey {
        SecretKey::from_seed([n; 32])
    }

    fn heads() -> Vec<ChainHead> {
        vec![
            ChainHead {
                chain: "system".into(),
                rows: 3,
                head: "c".repeat(64),
            },
            ChainHead {
                chain: "XS228-P2".into(),
                rows: 5,
                head: "a".repeat(64),
            },
            ChainHead {
                chain: "XS228-P2/unblinded".into(),
                rows: 2,
                head: "b".repeat(64),
            },
        ]
    }

    /// The chains exactly as signed, with `extra` rows appended to each.
    fn as_signed(extra: i64) -> BTreeMap<String, ChainNow> {
        heads()
            .into_iter()
            .map(|h| {
                let now = ChainNow {
                    rows: h.rows + extra,
                    verified: h.rows + extra,
                    hashes: [(h.rows, h.head)].into_iter().collect(),
                };
                (h.chain, now)
            })
            .collect()
    }

    #[test]
    fn keys_round_trip_through_their_text_and_name_their_id() {
        let secret = key(7);
        let public = secret.public();
        assert_eq!(public.key_id().len(), 16);
        let again = SecretKey::parse(&secret.to_text()).unwrap();
        assert_eq!(again.public(), public);
        assert_eq!(PublicKey::parse(&public.to_text()).unwrap(), public);
        assert!(secret.to_text().starts_with(SECRET_TITLE));
        assert!(!public.to_text().contains(&hex::encode([7u8; 32])));
        // A key file that names another key's id, or is not a key file, is refused.
        let wrong = public
            .to_text()
            .replace(&public.key_id(), &key(8).public().key_id());
        assert!(matches!(
            PublicKey::parse(&wrong),
            Err(CheckpointError::Key { .. })
        ));
        assert!(PublicKey::parse(&secret.to_text()).is_err());
        assert!(SecretKey::parse("secret-key: 00").is_err());
        assert!(
            PublicKey::parse(&public.to_text().replace("public-key: ", "public-key: zz")).is_err()
        );
    }

    #[test]
    fn a_signed_checkpoint_opens_with_its_public_key_only() {
        let (body, text) = sign(&key(1), "2026-12-06T04:00:00.000000Z", &heads());
        assert_eq!(text.lines().count(), 1);
        let chains: Vec<&str> = body.chains.iter().map(|c| c.chain.as_str()).collect();
        assert_eq!(chains, ["XS228-P2", "XS228-P2/unblinded", "system"]);
        assert_eq!(open(&text, &key(1).public()), Ok(body.clone()));
        assert_eq!(
            open(&text, &key(2).public()),
            Err(CheckpointError::ForeignKey {
                found: key(1).public().key_id(),
                expected: key(2).public().key_id(),
            })
        );
        // A forged checkpoint that names the right key id but was signed by another key.
        let (_, forged) = sign(&key(2), "2026-12-06T04:00:00.000000Z", &heads());
        let forged = forged.replace(&key(2).public().key_id(), &key(1).public().key_id());
        assert_eq!(
            open(&forged, &key(1).public()),
            Err(CheckpointError::BadSignature)
        );
    }

    #[test]
    fn every_flipped_byte_of_a_checkpoint_file_is_refused() {
        let public = key(1).public();
        let (_, text) = sign(&key(1), "2026-12-06T04:00:00.000000Z", &heads());
        for i in 0..text.len() {
            for flip in [0x01u8, 0x20, 0x80] {
                let mut bytes = text.clone().into_bytes();
                bytes[i] ^= flip;
                let Ok(altered) = String::from_utf8(bytes) else {
                    continue;
                };
                assert!(
                    open(&altered, &public).is_err(),
                    "byte {i} ^ {flip:#x} went unnoticed: {altered}"
                );
            }
        }
        // Reformatted (still the same JSON) is refused too.
        let pretty = text.replace(",\"", ", \"");
        assert!(matches!(
            open(&pretty, &public),
            Err(CheckpointError::Malformed(_))
        ));
    }

    #[test]
    fn the_trail_as_signed_or_grown_since_departs_from_nothing() {
        let (body, _) = sign(&key(1), "t", &heads());
        assert_eq!(compare(&body, &as_signed(0)), []);
        assert_eq!(compare(&body, &as_signed(4)), []);
        // A chain begun since the checkpoint is fine too.
        let mut now = as_signed(1);
        now.insert("XS228-P1".into(), ChainNow::default());
        assert_eq!(compare(&body, &now), []);
        let wanted = positions([&body]);
        assert_eq!(wanted["XS228-P2"], [5].into_iter().collect());
    }

    #[test]
    fn a_missing_shorter_unverified_or_rewritten_chain_is_named() {
        let (body, _) = sign(&key(1), "t", &heads());
        let found = |change: &dyn Fn(&mut BTreeMap<String, ChainNow>)| {
            let mut now = as_signed(2);
            change(&mut now);
            let findings = compare(&body, &now);
            assert_eq!(findings.len(), 1, "{findings:?}");
            findings.into_iter().next().unwrap()
        };
        let gone = found(&|now| {
            now.remove("XS228-P2/unblinded");
        });
        assert_eq!(
            (gone.chain.as_str(), &gone.departure),
            ("XS228-P2/unblinded", &Departure::Missing)
        );
        let cut = found(&|now| {
            let c = now.get_mut("XS228-P2").unwrap();
            (c.rows, c.verified) = (4, 4);
            c.hashes.clear();
        });
        assert_eq!(cut.departure, Departure::Shorter { rows: 4 });
        assert!(
            cut.to_string().contains("chain XS228-P2 is shorter"),
            "{cut}"
        );
        let broken = found(&|now| now.get_mut("system").unwrap().verified = 1);
        assert_eq!(broken.departure, Departure::Unverified { seq: 2 });
        let rewritten = found(&|now| {
            now.get_mut("XS228-P2")
                .unwrap()
                .hashes
                .insert(5, "d".repeat(64));
        });
        assert_eq!(
            rewritten.departure,
            Departure::Differs {
                seq: 5,
                now: Some("d".repeat(64))
            }
        );
        assert!(rewritten.to_string().contains("rewritten"), "{rewritten}");
    }
}
