//! Cryptographic building blocks: Argon2id on a bounded pool, and random tokens of which only
//! a digest is ever stored.

pub mod device;
mod fingerprint;
pub mod hashing;
pub mod seal;
pub mod token;

pub use hashing::{HashPool, HashingParams, Overloaded, PasswordHash, Verification};
pub use token::{RandomToken, digest_hex};
