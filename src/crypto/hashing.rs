//! Argon2id on a bounded pool. A fixed number of hashes run at once (one per core by default)
//! and a bounded number may wait; anything beyond that is refused at once with [`Overloaded`],
//! which the web layer turns into 503 + Retry-After. Requests that need no hash never queue here.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};
use tokio::sync::Semaphore;

use super::token::fill_random;
use crate::domain::Password;

/// A stored Argon2id hash in PHC string form (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`).
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

impl PasswordHash {
    pub fn from_stored(phc: String) -> Self {
        Self(phc)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash([redacted])")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashingParams {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl Default for HashingParams {
    fn default() -> Self {
        Self { memory_kib: 19_456, iterations: 2, parallelism: 1 }
    }
}

/// The pool is full: try again shortly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("too many password checks are waiting; try again shortly")]
pub struct Overloaded;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verification {
    pub matches: bool,
    /// The hash was made with other parameters than the current ones and should be redone.
    pub needs_rehash: bool,
}

#[derive(Clone)]
pub struct HashPool {
    inner: Arc<Inner>,
}

struct Inner {
    params: Params,
    running: Semaphore,
    admitted: AtomicUsize,
    capacity: usize,
    dummy: PasswordHash,
    verifications: AtomicU64,
    hashes: AtomicU64,
    refused: AtomicU64,
}

/// Counters for `/metrics`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashPoolStats {
    pub verifications: u64,
    pub hashes: u64,
    pub refused: u64,
    pub admitted: usize,
}

impl HashPool {
    /// `workers == 0` means one per core.
    pub fn new(params: HashingParams, workers: usize, queue: usize) -> Result<Self, argon2::Error> {
        let workers = if workers == 0 { std::thread::available_parallelism().map_or(1, usize::from) } else { workers };
        let params = Params::new(params.memory_kib, params.iterations, params.parallelism, None)?;
        let dummy = hash_blocking(&params, "a password nobody has".as_bytes())?;
        Ok(Self {
            inner: Arc::new(Inner {
                params,
                running: Semaphore::new(workers),
                admitted: AtomicUsize::new(0),
                capacity: workers + queue,
                dummy,
                verifications: AtomicU64::new(0),
                hashes: AtomicU64::new(0),
                refused: AtomicU64::new(0),
            }),
        })
    }

    pub async fn hash(&self, password: &Password) -> Result<PasswordHash, Overloaded> {
        let params = self.inner.params.clone();
        let input = password.normalized();
        let hashed = self.run(move || hash_blocking(&params, input.as_bytes()).map_err(|_| ())).await?;
        // Counted once it ran: a refused request is counted as refused only.
        self.inner.hashes.fetch_add(1, Ordering::Relaxed);
        hashed.map_err(|()| Overloaded)
    }

    /// Checks `password` against `stored`, or against a dummy hash when there is none, so that
    /// an unknown login costs exactly the same work as a known one.
    pub async fn verify(&self, password: &Password, stored: Option<&PasswordHash>) -> Result<Verification, Overloaded> {
        let real = stored.is_some();
        let target = stored.unwrap_or(&self.inner.dummy).clone();
        let current = self.inner.params.clone();
        let input = password.normalized();
        let (matches, same_params) = self.run(move || verify_blocking(&current, input.as_bytes(), &target)).await?;
        self.inner.verifications.fetch_add(1, Ordering::Relaxed);
        Ok(Verification { matches: matches && real, needs_rehash: real && !same_params })
    }

    /// Whether `password` matches any of `hashes` (password history), as one job on the pool.
    pub async fn matches_any(&self, password: &Password, hashes: Vec<PasswordHash>) -> Result<bool, Overloaded> {
        if hashes.is_empty() {
            return Ok(false);
        }
        let current = self.inner.params.clone();
        let input = password.normalized();
        let count = hashes.len() as u64;
        let found = self.run(move || hashes.iter().any(|h| verify_blocking(&current, input.as_bytes(), h).0)).await?;
        self.inner.verifications.fetch_add(count, Ordering::Relaxed);
        Ok(found)
    }

    /// Runs other Argon2-sized work (e.g. stretching a passcode) on the same bounded pool.
    pub async fn run_job<T: Send + 'static>(&self, job: impl FnOnce() -> T + Send + 'static) -> Result<T, Overloaded> {
        self.run(job).await
    }

    pub fn stats(&self) -> HashPoolStats {
        HashPoolStats {
            verifications: self.inner.verifications.load(Ordering::Relaxed),
            hashes: self.inner.hashes.load(Ordering::Relaxed),
            refused: self.inner.refused.load(Ordering::Relaxed),
            admitted: self.inner.admitted.load(Ordering::Relaxed),
        }
    }

    async fn run<T: Send + 'static>(&self, job: impl FnOnce() -> T + Send + 'static) -> Result<T, Overloaded> {
        let _admission = self.admit()?;
        let _permit = self.inner.running.acquire().await.map_err(|_| Overloaded)?;
        tokio::task::spawn_blocking(job).await.map_err(|_| Overloaded)
    }

    fn admit(&self) -> Result<Admission<'_>, Overloaded> {
        let before = self.inner.admitted.fetch_add(1, Ordering::AcqRel);
        let admission = Admission(&self.inner.admitted);
        if before >= self.inner.capacity {
            self.inner.refused.fetch_add(1, Ordering::Relaxed);
            return Err(Overloaded);
        }
        Ok(admission)
    }
}

/// Releases a place in the pool when dropped, whatever happened to the job.
struct Admission<'a>(&'a AtomicUsize);

impl Drop for Admission<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

fn hash_blocking(params: &Params, password: &[u8]) -> Result<PasswordHash, argon2::Error> {
    let mut salt = [0u8; 16];
    fill_random(&mut salt);
    let hasher = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let hash = hasher.hash_password_with_salt(password, &salt).map_err(|_| argon2::Error::OutputTooShort)?;
    Ok(PasswordHash(hash.to_string()))
}

/// Returns (matches, made with the current parameters).
fn verify_blocking(current: &Params, password: &[u8], stored: &PasswordHash) -> (bool, bool) {
    let Ok(parsed) = argon2::PasswordHash::new(stored.as_str()) else {
        return (false, false);
    };
    let same_params = parsed.algorithm.as_str() == "argon2id"
        && Params::try_from(&parsed).is_ok_and(|p| {
            p.m_cost() == current.m_cost() && p.t_cost() == current.t_cost() && p.p_cost() == current.p_cost()
        });
    let matches = Argon2::default().verify_password(password, &parsed).is_ok();
    (matches, same_params)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cheap() -> HashingParams {
        HashingParams { memory_kib: 64, iterations: 1, parallelism: 1 }
    }

    #[tokio::test]
    async fn a_hash_verifies_only_its_own_password() {
        let pool = HashPool::new(cheap(), 1, 4).unwrap();
        let hash = pool.hash(&Password::new("Right#Pass1")).await.unwrap();
        assert!(hash.as_str().starts_with("$argon2id$v=19$m=64,t=1,p=1$"));
        assert!(pool.verify(&Password::new("Right#Pass1"), Some(&hash)).await.unwrap().matches);
        assert!(!pool.verify(&Password::new("Wrong#Pass1"), Some(&hash)).await.unwrap().matches);
        assert!(!pool.verify(&Password::new("Right#Pass1"), None).await.unwrap().matches);
    }

    #[tokio::test]
    async fn the_same_password_gets_a_different_salt_each_time() {
        let pool = HashPool::new(cheap(), 1, 4).unwrap();
        let a = pool.hash(&Password::new("Same#Pass1")).await.unwrap();
        let b = pool.hash(&Password::new("Same#Pass1")).await.unwrap();
        assert_ne!(a, b);
    }

    #[tokio::test]
    async fn a_hash_with_old_parameters_asks_to_be_redone() {
        let old = HashPool::new(cheap(), 1, 4).unwrap();
        let new = HashPool::new(HashingParams { memory_kib: 128, ..cheap() }, 1, 4).unwrap();
        let hash = old.hash(&Password::new("Old#Pass1")).await.unwrap();
        let outcome = new.verify(&Password::new("Old#Pass1"), Some(&hash)).await.unwrap();
        assert_eq!(outcome, Verification { matches: true, needs_rehash: true });
    }

    #[tokio::test]
    async fn a_full_pool_refuses_at_once() {
        let pool = HashPool::new(HashingParams::default(), 1, 0).unwrap();
        let busy = pool.clone();
        let first = tokio::spawn(async move { busy.hash(&Password::new("Busy#Pass1")).await });
        tokio::task::yield_now().await;
        while pool.stats().admitted == 0 {
            tokio::task::yield_now().await;
        }
        assert_eq!(pool.verify(&Password::new("x"), None).await, Err(Overloaded));
        assert!(first.await.unwrap().is_ok());
        assert_eq!(pool.stats().refused, 1);
        assert_eq!((pool.stats().verifications, pool.stats().hashes), (0, 1), "only what ran is counted");
    }
}
