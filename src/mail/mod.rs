//! Outgoing mail, one message at a time: rendered and (where the message or the recipient
//! calls for it) encrypted at send time, then written to files or an SMTP relay. What to send
//! and what became of it is the outbox's business, in the service layer.

pub mod compose;
pub mod keys;
pub mod mailbox;
pub mod render;
pub mod transport;

use std::str::FromStr;
use std::time::SystemTime;

use lettre::message::Mailbox;
use time::OffsetDateTime;

use crate::config::{BrandingSettings, MailSettings, SmimeCipher};
use crate::domain::EmailAddress;
use crate::domain::message::{OutboundMessage, Sensitivity};
use compose::Envelope;
use keys::{KeyKind, RecipientKey};
use render::Renderer;
use transport::{SendError, Transport};

/// Renders, encrypts and sends one message at a time.
pub struct Mailer {
    renderer: Renderer,
    transport: Transport,
    from: Mailbox,
    /// The host part of Message-IDs.
    host: String,
    smime_gcm: bool,
}

/// Why a delivery did not happen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeliveryError {
    /// Worth trying again later (the relay or the mail directory was unavailable).
    #[error("{0}")]
    Transient(String),
    /// Trying again would fail the same way.
    #[error("{0}")]
    Permanent(String),
    /// The message may only travel encrypted and could not be: it is not sent at all.
    #[error("not sent because it could not be encrypted: {0}")]
    Encryption(String),
}

impl From<SendError> for DeliveryError {
    fn from(error: SendError) -> Self {
        match error {
            SendError::Transient(e) => Self::Transient(e),
            SendError::Permanent(e) => Self::Permanent(e),
        }
    }
}

impl Mailer {
    /// The mailer the `[mail]` and `[branding]` sections describe, for a portal at `public_url`.
    pub fn from_settings(
        mail: &MailSettings,
        branding: &BrandingSettings,
        public_url: &url::Url,
    ) -> Result<Self, String> {
        Ok(Self {
            renderer: Renderer::from_settings(mail, branding, public_url),
            transport: Transport::from_settings(mail)?,
            from: Mailbox::from_str(&mail.from).map_err(|e| format!("mail.from: {e}"))?,
            host: public_url.host_str().unwrap_or("portcullis.invalid").to_string(),
            smime_gcm: mail.smime_cipher == SmimeCipher::Aes256Gcm,
        })
    }

    /// Sends `message` to `to`; returns how it travelled (`plain`, `openpgp`, `smime (…)`).
    pub async fn deliver(
        &self,
        id: &str,
        to: &str,
        message: &OutboundMessage,
        key: Option<RecipientKey<'_>>,
        now: OffsetDateTime,
    ) -> Result<String, DeliveryError> {
        let to = recipient(to)?;
        let envelope =
            Envelope { from: &self.from, to, message_id: format!("<{id}@{}>", self.host), date: SystemTime::from(now) };
        let sensitivity = message.sensitivity();
        let key = key.filter(|_| sensitivity != Sensitivity::Plain);
        let rendered =
            self.renderer.render(message, key.is_some()).map_err(|e| DeliveryError::Permanent(e.to_string()))?;
        let compose_failed = |e: compose::ComposeError| DeliveryError::Permanent(e.to_string());
        let (email, travelled) = match key {
            Some(key) => {
                let kind =
                    KeyKind::parse(key.kind).ok_or_else(|| DeliveryError::Encryption("unknown key type".into()))?;
                let entity = compose::body(&rendered).formatted();
                match keys::material::encrypt(kind, key.material, &entity, now, self.smime_gcm) {
                    Ok(encrypted) => {
                        let travelled = encrypted.describe();
                        (compose::encrypted(envelope, &rendered.subject, encrypted).map_err(compose_failed)?, travelled)
                    }
                    Err(error) if sensitivity == Sensitivity::MustEncrypt => {
                        return Err(DeliveryError::Encryption(error.to_string()));
                    }
                    Err(error) => {
                        tracing::warn!(%error, kind = message.kind(), "recipient key unusable; sending this notice unencrypted");
                        (compose::plain(envelope, &rendered).map_err(compose_failed)?, "plain".to_string())
                    }
                }
            }
            None if sensitivity == Sensitivity::MustEncrypt => {
                return Err(DeliveryError::Encryption("the recipient has no encryption key on file".into()));
            }
            None => (compose::plain(envelope, &rendered).map_err(compose_failed)?, "plain".to_string()),
        };
        self.transport.send(&email, id).await?;
        Ok(travelled)
    }
}

/// The recipient as a bare address, parsed again at send time: a stored value from before
/// addresses were checked (a display name, a list) is never handed to the relay.
fn recipient(stored: &str) -> Result<Mailbox, DeliveryError> {
    let refused = |reason: String| DeliveryError::Permanent(format!("recipient {stored:?}: {reason}"));
    let address = EmailAddress::parse(stored).map_err(|e| refused(e.to_string()))?;
    let address = address.as_str().parse::<lettre::Address>().map_err(|e| refused(e.to_string()))?;
    Ok(Mailbox::new(None, address))
}
