//! Cryptographic building blocks: Argon2id on a bounded pool, and random tokens of which only
//! a digest is ever stored.

mod argon;
pub mod device;
mod fingerprint;
mod hash_workers;
pub mod hashing;
pub mod seal;
pub mod token;
pub mod two_step;

pub use hashing::{HashPool, HashTicket, HashingParams, Overloaded, PasswordHash, Verification};
pub use token::{RandomToken, digest_hex};
