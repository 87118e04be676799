//! Argon2id hashing and verification into memory the caller keeps. Each hash needs a block of
//! `m_cost` KiB (19 MiB by default); allocating and freeing one per hash fragments the heap
//! of a busy process, so each hash worker owns one [`ArgonMemory`] for its whole life.
//!
//! The strings are standard PHC strings: hashes made here verify with any Argon2 library, and
//! hashes made by the `argon2` crate's own hasher (every hash stored before) verify here.

use argon2::{Algorithm, Argon2, Block, Params, Version};
use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use subtle::ConstantTimeEq;

use super::token::fill_random;
use crate::domain::PasswordHash;

const SALT_BYTES: usize = 16;
/// The longest output Argon2 may produce (PHC allows no more).
const MAX_OUTPUT_BYTES: usize = 64;

/// A worker's Argon2 memory, allocated at its first hash and grown only when a stored hash
/// asks for more than any before it. It holds the state of the last hash until the next one
/// overwrites it, and never leaves its worker thread.
#[derive(Default)]
pub(super) struct ArgonMemory(Vec<Block>);

impl ArgonMemory {
    fn blocks_for(&mut self, params: &Params) -> &mut [Block] {
        let needed = params.block_count();
        if self.0.len() < needed {
            self.0.resize(needed, Block::default());
        }
        &mut self.0[..needed]
    }
}

/// What checking a password against a stored hash found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Checked {
    pub matches: bool,
    /// Made with Argon2id, version 0x13 and exactly `current`'s costs.
    pub current: bool,
}

/// A new PHC string for `password` with a fresh random salt.
pub(super) fn hash(params: &Params, password: &[u8], memory: &mut ArgonMemory) -> Result<PasswordHash, argon2::Error> {
    let mut salt = [0u8; SALT_BYTES];
    fill_random(&mut salt);
    let mut output = [0u8; Params::DEFAULT_OUTPUT_LEN];
    let params = output_len(params, output.len())?;
    let hasher = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    hasher.hash_password_into_with_memory(password, &salt, &mut output, memory.blocks_for(&params))?;
    let phc = format!(
        "$argon2id$v={}$m={},t={},p={}${}${}",
        u32::from(Version::V0x13),
        params.m_cost(),
        params.t_cost(),
        params.p_cost(),
        STANDARD_NO_PAD.encode(salt),
        STANDARD_NO_PAD.encode(output)
    );
    Ok(PasswordHash::from_stored(phc))
}

/// Recomputes `stored` for `password` with the stored algorithm, version, costs and salt, and
/// compares in constant time. A string that does not parse matches nothing.
pub(super) fn verify(current: &Params, password: &[u8], stored: &PasswordHash, memory: &mut ArgonMemory) -> Checked {
    let refused = Checked { matches: false, current: false };
    let Ok(parsed) = argon2::PasswordHash::new(stored.as_str()) else { return refused };
    let Ok(algorithm) = Algorithm::try_from(parsed.algorithm.as_str()) else { return refused };
    let Ok(version) = parsed.version.map_or(Ok(Version::V0x13), Version::try_from) else { return refused };
    // Takes m, t, p, keyid and data from the string, and the output length from its hash.
    let Ok(params) = Params::try_from(&parsed) else { return refused };
    let (Some(salt), Some(expected)) = (&parsed.salt, &parsed.hash) else { return refused };
    let mut buffer = [0u8; MAX_OUTPUT_BYTES];
    let Some(output) = buffer.get_mut(..expected.len()) else { return refused };
    let recomputed = Argon2::new(algorithm, version, params.clone()).hash_password_into_with_memory(
        password,
        salt.as_ref(),
        output,
        memory.blocks_for(&params),
    );
    let matches = recomputed.is_ok() && bool::from(output.ct_eq(expected.as_bytes()));
    let current = algorithm == Algorithm::Argon2id
        && version == Version::V0x13
        && (params.m_cost(), params.t_cost(), params.p_cost())
            == (current.m_cost(), current.t_cost(), current.p_cost());
    Checked { matches, current }
}

fn output_len(params: &Params, len: usize) -> Result<Params, argon2::Error> {
    Params::new(params.m_cost(), params.t_cost(), params.p_cost(), Some(len))
}

#[cfg(test)]
mod tests {
    use argon2::{PasswordHasher, PasswordVerifier};

    use super::*;

    fn cheap() -> Params {
        Params::new(64, 1, 1, None).unwrap()
    }

    #[test]
    fn a_hash_made_here_verifies_with_the_argon2_crates_own_verifier() {
        let made = hash(&cheap(), b"Right#Pass1", &mut ArgonMemory::default()).unwrap();
        let parsed = argon2::PasswordHash::new(made.as_str()).unwrap();
        assert!(Argon2::default().verify_password(b"Right#Pass1", &parsed).is_ok());
        assert!(Argon2::default().verify_password(b"Wrong#Pass1", &parsed).is_err());
    }

    #[test]
    fn a_hash_made_by_the_argon2_crates_own_hasher_verifies_here() {
        let hasher = Argon2::new(Algorithm::Argon2id, Version::V0x13, cheap());
        let made = hasher.hash_password_with_salt(b"Right#Pass1", b"sixteen byte salt").unwrap();
        let stored = PasswordHash::from_stored(made.to_string());
        let memory = &mut ArgonMemory::default();
        assert_eq!(verify(&cheap(), b"Right#Pass1", &stored, memory), Checked { matches: true, current: true });
        assert!(!verify(&cheap(), b"Wrong#Pass1", &stored, memory).matches);
    }

    #[test]
    fn one_memory_serves_hashes_of_other_sizes_one_after_the_other() {
        let memory = &mut ArgonMemory::default();
        let bigger = Params::new(256, 1, 2, None).unwrap();
        let small = hash(&cheap(), b"Small#Pass1", memory).unwrap();
        let big = hash(&bigger, b"Big#Pass1", memory).unwrap();
        assert!(verify(&cheap(), b"Small#Pass1", &small, memory).matches, "after growing");
        assert_eq!(verify(&cheap(), b"Big#Pass1", &big, memory), Checked { matches: true, current: false });
    }

    #[test]
    fn other_algorithms_and_versions_verify_but_ask_to_be_redone() {
        let memory = &mut ArgonMemory::default();
        for (algorithm, version) in [(Algorithm::Argon2i, Version::V0x13), (Algorithm::Argon2id, Version::V0x10)] {
            let made =
                Argon2::new(algorithm, version, cheap()).hash_password_with_salt(b"Old#Pass1", b"saltsalt").unwrap();
            let stored = PasswordHash::from_stored(made.to_string());
            assert_eq!(verify(&cheap(), b"Old#Pass1", &stored, memory), Checked { matches: true, current: false });
        }
    }

    #[test]
    fn a_string_that_is_no_argon2_hash_matches_nothing() {
        let memory = &mut ArgonMemory::default();
        for stored in
            ["", "plain", "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ", "$scrypt$ln=1,r=8,p=1$c2FsdHNhbHQ$aGFzaA"]
        {
            assert!(!verify(&cheap(), b"", &PasswordHash::from_stored(stored.into()), memory).matches, "{stored}");
        }
    }
}
