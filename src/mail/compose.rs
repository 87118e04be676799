//! Turns a rendered message into an RFC 5322 message: plain (text + HTML alternatives),
//! PGP/MIME (RFC 3156) or S/MIME (RFC 8551). Encrypted messages carry the whole
//! text + HTML entity inside the encryption; only the neutral subject is outside.

use std::time::SystemTime;

use lettre::Message;
use lettre::message::header::{ContentDisposition, ContentTransferEncoding, ContentType};
use lettre::message::{Mailbox, MultiPart, SinglePart};

use super::keys::Encrypted;
use super::render::Rendered;

/// The envelope of one message.
pub struct Envelope<'a> {
    pub from: &'a Mailbox,
    pub to: Mailbox,
    pub message_id: String,
    pub date: SystemTime,
}

#[derive(Debug, thiserror::Error)]
#[error("the message could not be built: {0}")]
pub struct ComposeError(String);

fn fail(error: impl std::fmt::Display) -> ComposeError {
    ComposeError(error.to_string())
}

/// The text + HTML entity that is sent as is, or encrypted.
pub fn body(rendered: &Rendered) -> MultiPart {
    MultiPart::alternative_plain_html(rendered.text.clone(), rendered.html.clone())
}

pub fn plain(envelope: Envelope<'_>, rendered: &Rendered) -> Result<Message, ComposeError> {
    builder(envelope, &rendered.subject).multipart(body(rendered)).map_err(fail)
}

pub fn encrypted(envelope: Envelope<'_>, subject: &str, encrypted: Encrypted) -> Result<Message, ComposeError> {
    let builder = builder(envelope, subject);
    match encrypted {
        Encrypted::OpenPgp { armored } => {
            let control = SinglePart::builder()
                .header(ContentType::parse("application/pgp-encrypted").map_err(fail)?)
                .header(ContentTransferEncoding::SevenBit)
                .body(String::from("Version: 1\r\n"));
            let payload = SinglePart::builder()
                .header(ContentType::parse("application/octet-stream; name=\"encrypted.asc\"").map_err(fail)?)
                .header(ContentDisposition::inline_with_name("encrypted.asc"))
                .header(ContentTransferEncoding::SevenBit)
                .body(armored);
            let parts =
                MultiPart::encrypted("application/pgp-encrypted".to_owned()).singlepart(control).singlepart(payload);
            builder.multipart(parts).map_err(fail)
        }
        Encrypted::Smime { der, smime_type } => {
            let content_type = format!("application/pkcs7-mime; smime-type={smime_type}; name=\"smime.p7m\"");
            let part = SinglePart::builder()
                .header(ContentType::parse(&content_type).map_err(fail)?)
                .header(ContentDisposition::attachment("smime.p7m"))
                .header(ContentTransferEncoding::Base64)
                .body(der);
            builder.singlepart(part).map_err(fail)
        }
    }
}

fn builder(envelope: Envelope<'_>, subject: &str) -> lettre::message::MessageBuilder {
    Message::builder()
        .from(envelope.from.clone())
        .to(envelope.to)
        .subject(subject)
        .message_id(Some(envelope.message_id))
        .date(envelope.date)
}
