//! S/MIME with OpenSSL's CMS: the only maintained Rust route that produces AuthEnvelopedData
//! (AES-256-GCM, authenticated) and accepts EC as well as RSA recipients. AES-256-CBC
//! EnvelopedData remains available by setting for mail clients that cannot read GCM yet.

use openssl::asn1::Asn1Time;
use openssl::cms::{CMSOptions, CmsContentInfo};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::Id;
use openssl::stack::Stack;
use openssl::symm::Cipher;
use openssl::x509::{X509, X509ExtendedKeyUsage, X509KeyUsage};
use time::OffsetDateTime;

use super::{CLOCK_SKEW, KeyError, KeyInfo, KeyKind, encrypt_failed, unreadable};

pub fn inspect(pem: &str, now: OffsetDateTime) -> Result<KeyInfo, KeyError> {
    let certificate = parse_one(pem)?;
    let asn1 = |at: OffsetDateTime| Asn1Time::from_unix(at.unix_timestamp()).map_err(unreadable);
    let now_asn1 = asn1(now)?;
    if certificate.not_before() > asn1(now + CLOCK_SKEW)? {
        return Err(KeyError::NotYetValid);
    }
    if certificate.not_after() <= now_asn1 {
        return Err(KeyError::Expired);
    }
    check_usage(&certificate)?;
    let digest = certificate.digest(MessageDigest::sha256()).map_err(unreadable)?;
    let expires_at = not_after_unix(&certificate)
        .and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok())
        .ok_or_else(|| unreadable("its expiry date is out of range"))?;
    Ok(KeyInfo {
        kind: KeyKind::Smime,
        fingerprint: hex::encode_upper(digest),
        expires_at: Some(expires_at),
        emails: emails(&certificate),
    })
}

/// Encrypts `entity`; returns the DER and its `smime-type`.
pub fn encrypt(pem: &str, entity: &[u8], gcm: bool) -> Result<(Vec<u8>, &'static str), KeyError> {
    let fail = encrypt_failed;
    let certificate = parse_one(pem)?;
    let mut recipients = Stack::new().map_err(fail)?;
    recipients.push(certificate).map_err(fail)?;
    let (cipher, smime_type) =
        if gcm { (Cipher::aes_256_gcm(), "authEnveloped-data") } else { (Cipher::aes_256_cbc(), "enveloped-data") };
    let cms = CmsContentInfo::encrypt(&recipients, entity, cipher, CMSOptions::BINARY).map_err(fail)?;
    Ok((cms.to_der().map_err(fail)?, smime_type))
}

fn parse_one(pem: &str) -> Result<X509, KeyError> {
    let certificates = X509::stack_from_pem(pem.as_bytes()).map_err(unreadable)?;
    match certificates.len() {
        0 => Err(unreadable("no certificate found")),
        1 => certificates.into_iter().next().ok_or(KeyError::UnknownFormat),
        _ => Err(KeyError::SeveralKeys),
    }
}

/// Key usage must allow key transport (RSA) or agreement (EC) when present; extended key
/// usage must allow email protection when present.
fn check_usage(certificate: &X509) -> Result<(), KeyError> {
    let key = certificate.public_key().map_err(unreadable)?;
    let needed = match key.id() {
        Id::RSA => X509KeyUsage::KEY_ENCIPHERMENT,
        Id::EC => X509KeyUsage::KEY_AGREEMENT,
        _ => return Err(KeyError::CannotEncrypt),
    };
    if certificate.key_usage().is_some_and(|usage| !usage.contains(needed)) {
        return Err(KeyError::CannotEncrypt);
    }
    let email_ok =
        |eku: X509ExtendedKeyUsage| eku.intersects(X509ExtendedKeyUsage::SMIME | X509ExtendedKeyUsage::ANYEKU);
    if certificate.extended_key_usage().is_some_and(|eku| !email_ok(eku)) {
        return Err(KeyError::CannotEncrypt);
    }
    Ok(())
}

fn emails(certificate: &X509) -> Vec<String> {
    let mut found: Vec<String> = certificate
        .subject_alt_names()
        .map(|names| names.iter().filter_map(|n| n.email().map(str::to_lowercase)).collect())
        .unwrap_or_default();
    for entry in certificate.subject_name().entries_by_nid(Nid::PKCS9_EMAILADDRESS) {
        if let Ok(text) = entry.data().to_string() {
            found.push(text.to_lowercase());
        }
    }
    found.dedup();
    found
}

fn not_after_unix(certificate: &X509) -> Option<i64> {
    let epoch = Asn1Time::from_unix(0).ok()?;
    let diff = epoch.diff(certificate.not_after()).ok()?;
    Some(i64::from(diff.days) * 86_400 + i64::from(diff.secs))
}
