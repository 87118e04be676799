//! Real `gpg` and `openssl`, each in a throwaway home, to make recipients' keys and to decrypt
//! what the portal sent.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

/// A GnuPG home with one key pair for `email`.
pub struct Gpg {
    home: tempfile::TempDir,
    pub email: String,
}

impl Gpg {
    pub fn with_key(email: &str, algorithm: &str, usage: &str, expiry: &str) -> Self {
        let home = tempfile::Builder::new().prefix("gpg").tempdir_in("/tmp").expect("gnupg home");
        let gpg = Self { home, email: email.to_string() };
        let uid = format!("Acme IT <{email}>");
        gpg.run(&["--batch", "--passphrase", "", "--quick-gen-key", &uid, algorithm, usage, expiry], None);
        gpg
    }

    /// An ed25519 + cv25519 key valid for a year.
    pub fn new(email: &str) -> Self {
        Self::with_key(email, "future-default", "default", "1y")
    }

    pub fn public_key(&self) -> String {
        self.run(&["--armor", "--export", &format!("<{}>", self.email)], None)
    }

    pub fn fingerprint(&self) -> String {
        let listing = self.run(&["--with-colons", "--fingerprint", &format!("<{}>", self.email)], None);
        listing.lines().find_map(|l| l.strip_prefix("fpr:")).map(|l| l.trim_matches(':').to_string()).expect("fpr")
    }

    pub fn decrypt(&self, armored: &str) -> String {
        self.run(&["--batch", "--decrypt"], Some(armored.as_bytes()))
    }

    fn run(&self, args: &[&str], input: Option<&[u8]>) -> String {
        run_tool("gpg", args, input, &[("GNUPGHOME", self.home.path())])
    }
}

/// A self-signed S/MIME certificate for `email` and its private key.
pub struct SmimeIdentity {
    dir: tempfile::TempDir,
}

impl SmimeIdentity {
    pub fn new(email: &str) -> Self {
        let dir = tempfile::tempdir().expect("dir");
        let path = |f: &str| dir.path().join(f).display().to_string();
        run_tool(
            "openssl",
            &[
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                &path("key.pem"),
                "-out",
                &path("cert.pem"),
                "-days",
                "30",
                "-subj",
                "/CN=Acme IT",
                "-addext",
                &format!("subjectAltName=email:{email}"),
                "-addext",
                "keyUsage=critical,keyEncipherment,digitalSignature",
                "-addext",
                "extendedKeyUsage=emailProtection",
            ],
            None,
            &[],
        );
        Self { dir }
    }

    pub fn certificate(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("cert.pem")).expect("certificate")
    }

    /// `openssl cms -decrypt` of a whole message.
    pub fn decrypt(&self, message: &[u8]) -> String {
        let path = |f: &str| self.dir.path().join(f).display().to_string();
        run_tool(
            "openssl",
            &["cms", "-decrypt", "-recip", &path("cert.pem"), "-inkey", &path("key.pem")],
            Some(message),
            &[],
        )
    }
}

fn run_tool(program: &str, args: &[&str], input: Option<&[u8]>, env: &[(&str, &Path)]) -> String {
    let mut command = Command::new(program);
    command.args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    for (key, value) in env {
        command.env(key, value);
    }
    let mut child = command.spawn().unwrap_or_else(|e| panic!("{program} must be installed: {e}"));
    let mut stdin = child.stdin.take().expect("stdin");
    if let Some(bytes) = input {
        stdin.write_all(bytes).expect("write");
    }
    drop(stdin);
    let output = child.wait_with_output().expect("wait");
    assert!(output.status.success(), "{program} {args:?} failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).into_owned()
}
