//! The secret key's fingerprint: stored in the database so that a start with another key file
//! is refused, instead of failing later on every sealed value it cannot open.

use super::seal::MasterKey;

impl MasterKey {
    /// A keyed derivation with a label of its own: it names the key without revealing it, and
    /// is unrelated to every key derived for sealing or the audit chain.
    pub fn fingerprint(&self) -> String {
        hex::encode(self.derive_bytes("key fingerprint").expose())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fingerprint_names_one_key_and_is_not_the_key() {
        let key = MasterKey::generate();
        assert_eq!(key.fingerprint(), MasterKey::from_hex(&key.to_hex()).unwrap().fingerprint());
        assert_ne!(key.fingerprint(), MasterKey::generate().fingerprint());
        assert_ne!(key.fingerprint(), key.to_hex());
    }
}
