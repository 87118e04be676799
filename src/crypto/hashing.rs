//! Argon2id on a bounded pool. A fixed number of hashes run at once (one per core by default)
//! and a bounded number may wait; anything beyond that is refused at once with [`Overloaded`],
//! which the web layer turns into 503 + Retry-After. Requests that need no hash never queue here.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use argon2::Params;

use super::argon::{self, ArgonMemory};
use super::hash_workers::HashWorkers;
use crate::domain::Password;

pub use crate::domain::PasswordHash;

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
    workers: HashWorkers,
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

/// Why the pool could not be built.
#[derive(Debug, thiserror::Error)]
pub enum PoolError {
    #[error("invalid Argon2 parameters: {0}")]
    Params(#[from] argon2::Error),
    #[error("cannot start the hash worker threads: {0}")]
    Threads(#[from] std::io::Error),
}

impl HashPool {
    /// `workers == 0` means one per core.
    pub fn new(params: HashingParams, workers: usize, queue: usize) -> Result<Self, PoolError> {
        let workers = if workers == 0 { std::thread::available_parallelism().map_or(1, usize::from) } else { workers };
        let params = Params::new(params.memory_kib, params.iterations, params.parallelism, None)?;
        let dummy = argon::hash(&params, "a password nobody has".as_bytes(), &mut ArgonMemory::default())?;
        Ok(Self {
            inner: Arc::new(Inner {
                params,
                workers: HashWorkers::start(workers)?,
                admitted: AtomicUsize::new(0),
                capacity: workers + queue,
                dummy,
                verifications: AtomicU64::new(0),
                hashes: AtomicU64::new(0),
                refused: AtomicU64::new(0),
            }),
        })
    }

    /// Takes a place in the pool, or refuses at once when it is full. A request that will need
    /// a hash takes its place before any other work, so that a refused one costs nothing else.
    pub fn admit(&self) -> Result<HashTicket, Overloaded> {
        let before = self.inner.admitted.fetch_add(1, Ordering::AcqRel);
        let ticket = HashTicket { pool: self.clone() };
        if before >= self.inner.capacity {
            self.inner.refused.fetch_add(1, Ordering::Relaxed);
            return Err(Overloaded);
        }
        Ok(ticket)
    }

    pub async fn hash(&self, password: &Password) -> Result<PasswordHash, Overloaded> {
        let ticket = self.admit()?;
        let params = self.inner.params.clone();
        let input = password.normalized();
        let hashed = ticket.run(move |memory| argon::hash(&params, input.as_bytes(), memory)).await?;
        // Counted once it ran: a refused request is counted as refused only.
        self.inner.hashes.fetch_add(1, Ordering::Relaxed);
        hashed.map_err(|_| Overloaded)
    }

    /// Checks `password` against `stored`, or against a dummy hash when there is none, so that
    /// an unknown login costs exactly the same work as a known one.
    pub async fn verify(&self, password: &Password, stored: Option<&PasswordHash>) -> Result<Verification, Overloaded> {
        self.admit()?.verify(password, stored).await
    }

    /// Whether `password` matches any of `hashes` (password history), as one job on the pool.
    pub async fn matches_any(&self, password: &Password, hashes: Vec<PasswordHash>) -> Result<bool, Overloaded> {
        if hashes.is_empty() {
            return Ok(false);
        }
        let ticket = self.admit()?;
        let current = self.inner.params.clone();
        let input = password.normalized();
        let count = hashes.len() as u64;
        let found = ticket
            .run(move |memory| hashes.iter().any(|h| argon::verify(&current, input.as_bytes(), h, memory).matches))
            .await?;
        self.inner.verifications.fetch_add(count, Ordering::Relaxed);
        Ok(found)
    }

    /// Runs other Argon2-sized work (e.g. stretching a passcode) on the same bounded pool.
    pub async fn run_job<T: Send + 'static>(&self, job: impl FnOnce() -> T + Send + 'static) -> Result<T, Overloaded> {
        self.admit()?.run(move |_| job()).await
    }

    pub fn stats(&self) -> HashPoolStats {
        HashPoolStats {
            verifications: self.inner.verifications.load(Ordering::Relaxed),
            hashes: self.inner.hashes.load(Ordering::Relaxed),
            refused: self.inner.refused.load(Ordering::Relaxed),
            admitted: self.inner.admitted.load(Ordering::Relaxed),
        }
    }
}

/// A place in the pool, held from admission until the job it was taken for has run (or is
/// given up). Dropping it frees the place.
pub struct HashTicket {
    pool: HashPool,
}

impl HashTicket {
    /// [`HashPool::verify`] in the place already taken.
    pub async fn verify(self, password: &Password, stored: Option<&PasswordHash>) -> Result<Verification, Overloaded> {
        let inner = Arc::clone(&self.pool.inner);
        let real = stored.is_some();
        let target = stored.unwrap_or(&inner.dummy).clone();
        let current = inner.params.clone();
        let input = password.normalized();
        let checked = self.run(move |memory| argon::verify(&current, input.as_bytes(), &target, memory)).await?;
        inner.verifications.fetch_add(1, Ordering::Relaxed);
        Ok(Verification { matches: checked.matches && real, needs_rehash: real && !checked.current })
    }

    /// Runs `job` on a worker; the place is freed when the job is done, even if the request
    /// waiting for it was given up meanwhile.
    async fn run<T: Send + 'static>(
        self,
        job: impl FnOnce(&mut ArgonMemory) -> T + Send + 'static,
    ) -> Result<T, Overloaded> {
        let inner = Arc::clone(&self.pool.inner);
        let ticket = self;
        let job = move |memory: &mut ArgonMemory| {
            let _place = ticket;
            job(memory)
        };
        inner.workers.run(job).await.map_err(|_| Overloaded)
    }
}

impl Drop for HashTicket {
    fn drop(&mut self) {
        self.pool.inner.admitted.fetch_sub(1, Ordering::AcqRel);
    }
}

impl fmt::Debug for HashTicket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HashTicket")
    }
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
    async fn a_place_taken_before_other_work_is_refused_to_others_until_given_back() {
        let pool = HashPool::new(cheap(), 1, 1).unwrap();
        let first = pool.admit().unwrap();
        let second = pool.admit().unwrap();
        assert_eq!(pool.admit().err(), Some(Overloaded));
        assert!(!first.verify(&Password::new("x"), None).await.unwrap().matches);
        let third = pool.admit().expect("the verification gave its place back");
        drop((second, third));
        assert_eq!(pool.stats().admitted, 0);
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
