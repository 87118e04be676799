//! The dev mailbox: reads the `.eml` files the file transport wrote, for the page at
//! `/dev/mailbox`. It says how each message travelled and shows the parts a person would see.

use std::path::{Path, PathBuf};

use mail_parser::{Message, MessageParser, MimeHeaders};

/// One message as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// The file name, which is also the message's address on the page.
    pub file: String,
    pub to: String,
    pub subject: String,
    pub date: String,
    pub encryption: String,
}

/// One message opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opened {
    pub summary: Summary,
    pub text: Option<String>,
    pub html: Option<String>,
    /// The armoured or base64 payload of an encrypted message.
    pub ciphertext: Option<String>,
    pub raw: String,
}

/// The newest `limit` messages, newest first.
pub fn list(dir: &Path, limit: usize) -> Vec<Summary> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .collect();
    files.sort();
    files.reverse();
    files.into_iter().take(limit).filter_map(|path| open_path(&path).map(|o| o.summary)).collect()
}

/// Opens a message by file name; names that are not plain `.eml` file names are refused.
pub fn open(dir: &Path, file: &str) -> Option<Opened> {
    let plain_name = file.ends_with(".eml") && file.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    if !plain_name || file.starts_with('.') {
        return None;
    }
    open_path(&dir.join(file))
}

fn open_path(path: &Path) -> Option<Opened> {
    let bytes = std::fs::read(path).ok()?;
    let message = MessageParser::default().parse(&bytes)?;
    let file = path.file_name()?.to_string_lossy().into_owned();
    let summary = Summary {
        file,
        to: message.to().and_then(|a| a.first()).and_then(|a| a.address()).unwrap_or("").to_string(),
        subject: message.subject().unwrap_or("(no subject)").to_string(),
        date: message.date().map(|d| readable_date(&d.to_rfc3339())).unwrap_or_default(),
        encryption: encryption_of(&message),
    };
    let encrypted = summary.encryption != "not encrypted";
    Some(Opened {
        text: (!encrypted).then(|| message.body_text(0).map(|t| t.into_owned())).flatten(),
        html: (!encrypted).then(|| message.body_html(0).map(|t| t.into_owned())).flatten(),
        ciphertext: encrypted.then(|| ciphertext_of(&message)).flatten(),
        raw: String::from_utf8_lossy(&bytes).into_owned(),
        summary,
    })
}

/// `2026-11-27T07:01:42Z` → `2026-11-27 07:01 UTC`, as the rest of the portal shows times.
fn readable_date(rfc3339: &str) -> String {
    match (rfc3339.get(..10), rfc3339.get(11..16), rfc3339.ends_with('Z')) {
        (Some(day), Some(minute), true) => format!("{day} {minute} UTC"),
        _ => rfc3339.to_string(),
    }
}

fn encryption_of(message: &Message<'_>) -> String {
    let Some(content_type) = message.content_type() else { return "not encrypted".into() };
    let full = format!("{}/{}", content_type.ctype(), content_type.subtype().unwrap_or_default()).to_lowercase();
    match full.as_str() {
        "multipart/encrypted" => "OpenPGP (PGP/MIME, RFC 3156)".into(),
        "application/pkcs7-mime" => {
            let smime_type = content_type.attribute("smime-type").unwrap_or("enveloped-data");
            format!("S/MIME ({smime_type}, RFC 8551)")
        }
        _ => "not encrypted".into(),
    }
}

fn ciphertext_of(message: &Message<'_>) -> Option<String> {
    let last = message.parts.len().checked_sub(1)?;
    let part = message.parts.get(last)?;
    let contents = part.contents();
    if contents.is_ascii() {
        Some(String::from_utf8_lossy(contents).into_owned())
    } else {
        use base64::Engine;
        Some(base64::engine::general_purpose::STANDARD.encode(contents))
    }
}
