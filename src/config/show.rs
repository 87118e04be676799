//! The settings as the operator may see them: credentials hidden.

use url::Url;

use super::Settings;

impl Settings {
    /// The settings as TOML with every secret replaced by `[redacted]`.
    pub fn redacted_toml(&self) -> String {
        let Ok(mut value) = serde_json::to_value(self) else {
            return String::new();
        };
        for (section, key) in [("database", "url"), ("mail", "smtp_url")] {
            if let Some(field) = value.get_mut(section).and_then(|s| s.get_mut(key))
                && let Some(text) = field.as_str()
            {
                *field = redact_url_password(text).into();
            }
        }
        toml_string(&value)
    }
}

/// `raw` with the password, if it has one, replaced by `[redacted]`.
pub(super) fn redact_url_password(raw: &str) -> String {
    match Url::parse(raw) {
        Ok(mut url) if url.password().is_some() => {
            let _ = url.set_password(Some("[redacted]"));
            url.to_string().replace("%5Bredacted%5D", "[redacted]")
        }
        _ => raw.to_string(),
    }
}

fn toml_string(value: &serde_json::Value) -> String {
    let mut out = String::new();
    for (section, fields) in value.as_object().into_iter().flatten() {
        out.push_str(&format!("[{section}]\n"));
        for (key, field) in fields.as_object().into_iter().flatten() {
            out.push_str(&format!("{key} = {field}\n"));
        }
        out.push('\n');
    }
    out
}
