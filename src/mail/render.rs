//! Email templates: a text and an HTML part per message kind, rendered at send time with
//! minijinja (HTML auto-escaped). The built-in templates are compiled in; an operator may
//! replace any of them by putting a file of the same name in `mail.templates_dir`.

use std::path::PathBuf;

use minijinja::value::Serde;
use minijinja::{Environment, Value};
use time::OffsetDateTime;
use time::macros::format_description;

use crate::domain::message::OutboundMessage;

const BUILT_IN: &[(&str, &str)] = &[
    ("layout.html", include_str!("../../templates/email/layout.html")),
    ("password_changed.txt", include_str!("../../templates/email/password_changed.txt")),
    ("password_changed.html", include_str!("../../templates/email/password_changed.html")),
    ("secure_pickup.txt", include_str!("../../templates/email/secure_pickup.txt")),
    ("secure_pickup.html", include_str!("../../templates/email/secure_pickup.html")),
    ("temporary_password.txt", include_str!("../../templates/email/temporary_password.txt")),
    ("temporary_password.html", include_str!("../../templates/email/temporary_password.html")),
    ("recovery_link.txt", include_str!("../../templates/email/recovery_link.txt")),
    ("recovery_link.html", include_str!("../../templates/email/recovery_link.html")),
    ("case_update.txt", include_str!("../../templates/email/case_update.txt")),
    ("case_update.html", include_str!("../../templates/email/case_update.html")),
    ("login_changed.txt", include_str!("../../templates/email/login_changed.txt")),
    ("login_changed.html", include_str!("../../templates/email/login_changed.html")),
    ("login_locked.txt", include_str!("../../templates/email/login_locked.txt")),
    ("login_locked.html", include_str!("../../templates/email/login_locked.html")),
    ("temporary_password_notice.txt", include_str!("../../templates/email/temporary_password_notice.txt")),
    ("temporary_password_notice.html", include_str!("../../templates/email/temporary_password_notice.html")),
    ("security_notice.txt", include_str!("../../templates/email/security_notice.txt")),
    ("security_notice.html", include_str!("../../templates/email/security_notice.html")),
    ("test.txt", include_str!("../../templates/email/test.txt")),
    ("test.html", include_str!("../../templates/email/test.html")),
];

/// What goes into every template besides the message itself.
#[derive(Debug, Clone)]
pub struct Branding {
    pub product: String,
    pub support: String,
    /// Without a trailing slash.
    pub public_url: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

pub struct Renderer {
    env: Environment<'static>,
    branding: Branding,
}

impl Renderer {
    pub fn new(branding: Branding, override_dir: Option<PathBuf>) -> Self {
        let mut env = Environment::new();
        env.set_loader(move |name| {
            if let Some(dir) = &override_dir {
                let candidate = dir.join(name);
                if candidate.is_file() {
                    return std::fs::read_to_string(&candidate).map(Some).map_err(|e| {
                        minijinja::Error::new(
                            minijinja::ErrorKind::TemplateNotFound,
                            format!("{}: {e}", candidate.display()),
                        )
                    });
                }
            }
            Ok(BUILT_IN.iter().find(|(n, _)| *n == name).map(|(_, body)| (*body).to_string()))
        });
        Self { env, branding }
    }

    /// The renderer the `[mail]` and `[branding]` sections describe, for a portal at `public_url`.
    pub fn from_settings(
        mail: &crate::config::MailSettings,
        branding: &crate::config::BrandingSettings,
        public_url: &url::Url,
    ) -> Self {
        let branding = Branding {
            product: branding.product_name.clone(),
            support: branding.support_contact.clone(),
            public_url: public_url.as_str().trim_end_matches('/').to_string(),
        };
        let templates = Some(mail.templates_dir.trim()).filter(|d| !d.is_empty()).map(PathBuf::from);
        Self::new(branding, templates)
    }

    pub fn render(&self, message: &OutboundMessage, encrypted: bool) -> Result<Rendered, minijinja::Error> {
        let subject = message.subject(&self.branding.product);
        let mut fields = match serde_json::to_value(message) {
            Ok(serde_json::Value::Object(map)) => map,
            _ => serde_json::Map::new(),
        };
        for (name, value) in [
            ("product", self.branding.product.as_str()),
            ("support", self.branding.support.as_str()),
            ("public_url", self.branding.public_url.as_str()),
            ("subject", subject.as_str()),
        ] {
            fields.insert(name.into(), value.into());
        }
        fields.insert("encrypted".into(), encrypted.into());
        fields.extend(times(message));
        let ctx = Value::from(Serde(fields));
        let kind = message.kind();
        let text = self.env.get_template(&format!("{kind}.txt"))?.render(&ctx)?;
        let html = self.env.get_template(&format!("{kind}.html"))?.render(&ctx)?;
        Ok(Rendered { subject, text, html })
    }
}

/// Unix-second fields shown as readable UTC times.
fn times(message: &OutboundMessage) -> Vec<(String, serde_json::Value)> {
    let show = |name: &str, at: i64| {
        let text = OffsetDateTime::from_unix_timestamp(at)
            .ok()
            .and_then(|t| t.format(format_description!("[day] [month repr:long] [year], [hour]:[minute] UTC")).ok())
            .unwrap_or_else(|| at.to_string());
        vec![(name.to_string(), serde_json::Value::from(text))]
    };
    match message {
        OutboundMessage::PasswordChanged(m) => show("changed_at", m.changed_at),
        OutboundMessage::SecurePickup(m) => show("expires_at", m.expires_at),
        OutboundMessage::TemporaryPassword(m) => show("expires_at", m.expires_at),
        OutboundMessage::RecoveryLink(m) => show("expires_at", m.expires_at),
        OutboundMessage::LoginChanged(m) => show("changed_at", m.changed_at),
        OutboundMessage::TemporaryPasswordNotice(m) => show("issued_at", m.issued_at),
        OutboundMessage::SecurityNotice(m) => show("changed_at", m.changed_at),
        OutboundMessage::LoginLocked(m) => show("locked_at", m.locked_at),
        OutboundMessage::Test(_) | OutboundMessage::CaseUpdate(_) => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::message::{PasswordChanged, TestMessage};

    fn branding() -> Branding {
        Branding {
            product: "Acme Portal".into(),
            support: "Acme support".into(),
            public_url: "https://portal.example".into(),
        }
    }

    #[test]
    fn a_message_renders_to_text_and_escaped_html() {
        let message = OutboundMessage::PasswordChanged(PasswordChanged {
            version: 1,
            login_name: "<b>ABC1234</b>".into(),
            changed_at: 0,
            source_ip: Some("192.0.2.1".into()),
            via: "my_profile".into(),
        });
        let rendered = Renderer::new(branding(), None).render(&message, false).unwrap();
        assert_eq!(rendered.subject, "Acme Portal: your password was changed");
        assert!(rendered.text.contains("01 January 1970, 00:00 UTC from the address 192.0.2.1"));
        assert!(rendered.html.contains("&lt;b&gt;ABC1234") && !rendered.html.contains("<b>ABC1234"));
        assert!(rendered.html.contains("data-testid=\"sign-in-link\""));
        assert!(rendered.text.contains("Acme support"));
    }

    #[test]
    fn a_security_notice_says_what_when_from_where_and_by_whom() {
        use crate::domain::message::{SecurityChange, SecurityNotice};
        let notice = |login_name: &str| {
            OutboundMessage::SecurityNotice(SecurityNotice {
                version: 1,
                login_name: login_name.into(),
                changed_login: "jane.<doe>".into(),
                change: SecurityChange::LoginDisabled,
                by_administrator: Some("ABC1234".into()),
                by_operator: false,
                changed_at: 0,
                source_ip: Some("192.0.2.1".into()),
            })
        };
        let renderer = Renderer::new(branding(), None);
        let own = renderer.render(&notice("jane.<doe>"), false).unwrap();
        assert_eq!(own.subject, "Acme Portal: security notice: a login was disabled");
        assert!(own.text.contains(
            "Your login jane.<doe> was disabled; it cannot sign in until it is enabled again on 01 January 1970, \
             00:00 UTC from the address 192.0.2.1 by the account administrator (primary login ABC1234)."
        ));
        assert!(own.text.contains("contact Acme support at once") && !own.text.contains("change your password"));
        assert!(own.html.contains("jane.&lt;doe&gt;") && !own.html.contains("jane.<doe>"));
        let administrator = renderer.render(&notice("ABC1234"), false).unwrap();
        assert!(administrator.text.contains("The login jane.<doe> of your account was disabled"));
    }

    #[test]
    fn an_operator_template_replaces_the_built_in_one() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("test.txt"), "Custom for {{ login_name }} at {{ product }}").unwrap();
        let message = OutboundMessage::Test(TestMessage { version: 1, login_name: "ABC1234".into() });
        let rendered = Renderer::new(branding(), Some(dir.path().to_path_buf())).render(&message, false).unwrap();
        assert_eq!(rendered.text, "Custom for ABC1234 at Acme Portal");
        assert!(rendered.html.contains("This is a test message"), "the HTML part is still the built-in one");
    }
}
