//! Values the components use, derived from one or more sections.

use time::Duration;
use url::Url;

use super::{MailTransport, Settings};
use crate::domain::{DevicePolicy, LockoutPolicy, PasswordPolicy, SessionLifetime};

impl Settings {
    /// Every host name the public listener answers to: `public_url`'s host, then `allowed_hosts`.
    pub fn served_hosts(&self) -> Vec<String> {
        let public = self.http.public_url.host_str().and_then(host_name);
        public.into_iter().chain(self.http.allowed_hosts.iter().filter_map(|h| host_name(h))).collect()
    }

    /// Host names the admin listener answers to: loopback names, its own address and the
    /// served hosts.
    pub fn admin_hosts(&self) -> Vec<String> {
        let own = self.http.admin_listen.map(|address| address.ip().to_string());
        ["localhost", "127.0.0.1", "::1"]
            .into_iter()
            .map(str::to_string)
            .chain(own)
            .filter_map(|h| host_name(&h).or_else(|| host_name(&format!("[{h}]"))))
            .chain(self.served_hosts())
            .collect()
    }

    /// The dev mailbox shows every message to anyone who can reach it, so it exists only in a
    /// set-up that cannot be production: the file transport, a plain-http public URL on a loopback
    /// host, the portal listening on loopback, and no reverse proxy trusted in front of it.
    pub fn dev_mailbox_enabled(&self) -> bool {
        let public = &self.http.public_url;
        let loopback_host = match public.host() {
            Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        };
        self.http.dev_mailbox
            && self.mail.transport == MailTransport::File
            && public.scheme() == "http"
            && loopback_host
            && self.http.listen.ip().is_loopback()
            && self.http.trusted_proxies.is_empty()
    }

    pub fn password_policy(&self) -> PasswordPolicy {
        PasswordPolicy {
            refuse_common: self.password.common_passwords,
            fixed_words: vec![self.branding.product_name.clone()],
            ..PasswordPolicy::from_profile(self.password.policy)
        }
    }

    pub fn session_lifetime(&self) -> SessionLifetime {
        SessionLifetime {
            idle: Duration::minutes(self.session.idle_timeout_minutes),
            absolute: Duration::hours(self.session.absolute_timeout_hours),
        }
    }

    pub fn lockout_policy(&self) -> LockoutPolicy {
        LockoutPolicy {
            free_attempts: self.lockout.free_attempts,
            first_delay: Duration::seconds(self.lockout.first_delay_seconds),
            max_delay: Duration::minutes(self.lockout.max_delay_minutes),
            window: Duration::minutes(self.lockout.window_minutes),
        }
    }

    pub fn device_policy(&self) -> DevicePolicy {
        DevicePolicy {
            lifetime: Duration::days(self.lockout.device_cookie_days),
            max_failures: self.lockout.device_max_failures,
        }
    }

    pub fn is_https(&self) -> bool {
        self.http.public_url.scheme() == "https"
    }
}

/// A bare host name (or IP address) as a URL carries it: lower-cased, IDNA-encoded, without a
/// trailing dot; None for anything with a scheme, port, path, query or user part.
pub fn host_name(raw: &str) -> Option<String> {
    // A URL drops a scheme's default port (`:80`) without a trace: refuse any port here.
    let outside_brackets = raw.rsplit_once(']').map_or(raw, |(_, rest)| rest);
    if outside_brackets.contains(':') {
        return None;
    }
    let url = Url::parse(&format!("http://{raw}/")).ok()?;
    let bare = url.port().is_none()
        && url.username().is_empty()
        && url.password().is_none()
        && url.path() == "/"
        && url.query().is_none()
        && url.fragment().is_none();
    let host = url.host_str()?.trim_end_matches('.');
    (bare && !host.is_empty()).then(|| host.to_ascii_lowercase())
}
