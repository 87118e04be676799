//! The threads that compute hashes. Each owns its Argon2 memory for its whole life, so a
//! flood of sign-ins costs a fixed amount of memory (workers × m_cost) instead of a fresh
//! allocation per hash. The threads end when the last handle to the pool is gone.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::oneshot;

use super::argon::ArgonMemory;

type Job = Box<dyn FnOnce(&mut ArgonMemory) + Send>;

/// The job was lost: its worker panicked or the pool is shutting down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct JobLost;

pub(super) struct HashWorkers {
    jobs: Sender<Job>,
}

impl HashWorkers {
    pub fn start(count: usize) -> std::io::Result<Self> {
        let (jobs, queue) = channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for index in 0..count {
            let queue = Arc::clone(&queue);
            std::thread::Builder::new().name(format!("hash-worker-{index}")).spawn(move || work(&queue))?;
        }
        Ok(Self { jobs })
    }

    /// Runs `job` on the next free worker, with that worker's memory. The caller has already
    /// been admitted, so the queue here never grows beyond the pool's capacity.
    pub async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce(&mut ArgonMemory) -> T + Send + 'static,
    ) -> Result<T, JobLost> {
        let (answer, answered) = oneshot::channel();
        let job: Job = Box::new(move |memory| {
            // A request given up while its job waited (client gone, deadline passed) costs no hash.
            if !answer.is_closed() {
                let _ = answer.send(job(memory));
            }
        });
        self.jobs.send(job).map_err(|_| JobLost)?;
        answered.await.map_err(|_| JobLost)
    }
}

fn work(queue: &Mutex<Receiver<Job>>) {
    let mut memory = ArgonMemory::default();
    loop {
        // The lock is held only while waiting for the next job, never while hashing.
        let next = queue.lock().unwrap_or_else(PoisonError::into_inner).recv();
        let Ok(job) = next else { return };
        // A panicking job loses its answer (the caller sees `JobLost`), not the worker.
        let _ = catch_unwind(AssertUnwindSafe(|| job(&mut memory)));
    }
}
