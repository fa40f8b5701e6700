//! argon2id password hashes. Hashing is slow and takes `auth.argon2_memory_kib` of memory on
//! purpose: requests hash through a [`HashingPool`], which runs at most one hash per slot
//! (`auth.hash_threads`, by default one per core) and gives each slot one block of argon2
//! memory that it keeps, so a burst of sign-ins queues instead of taking the server's memory.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use rand::rngs::OsRng;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::config::AuthSettings;
use crate::error::AppError;

#[derive(Debug, Clone)]
pub struct Hasher {
    params: Params,
}

/// argon2's working memory, kept between hashes (allocating 19 MiB per hash and giving it
/// back to the allocator is what grew the server's memory under load).
#[derive(Default)]
pub struct Memory(Vec<Block>);

impl Memory {
    fn blocks(&mut self, count: usize) -> &mut [Block] {
        if self.0.len() < count {
            self.0.resize(count, Block::new());
        }
        &mut self.0[..count]
    }
}

impl Hasher {
    pub fn from_settings(s: &AuthSettings) -> anyhow::Result<Self> {
        let params = Params::new(
            s.argon2_memory_kib,
            s.argon2_iterations,
            s.argon2_parallelism,
            None,
        )
        .map_err(|e| anyhow::anyhow!("auth.argon2_*: {e}"))?;
        Ok(Self { params })
    }

    /// Hashes with fresh memory (the command line and start-up; requests use the pool).
    pub fn hash(&self, password: &str) -> anyhow::Result<String> {
        self.hash_in(&mut Memory::default(), password)
    }

    /// Checks with fresh memory (the command line and tests; requests use the pool).
    pub fn verify(&self, password: &str, stored: &str) -> bool {
        self.verify_in(&mut Memory::default(), password, stored)
    }

    /// A PHC string of `password` under the configured parameters, computed in `memory`.
    pub fn hash_in(&self, memory: &mut Memory, password: &str) -> anyhow::Result<String> {
        let fail = |e: &dyn std::fmt::Display| anyhow::anyhow!("hashing failed: {e}");
        let salt = SaltString::generate(&mut OsRng);
        let mut salt_bytes = [0u8; 64];
        let salt_bytes = salt.decode_b64(&mut salt_bytes).map_err(|e| fail(&e))?;
        let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
            .hash_password_into_with_memory(
                password.as_bytes(),
                salt_bytes,
                &mut out,
                memory.blocks(self.params.block_count()),
            )
            .map_err(|e| fail(&e))?;
        let phc = PasswordHash {
            algorithm: Algorithm::Argon2id.ident(),
            version: Some(Version::V0x13.into()),
            params: ParamsString::try_from(&self.params).map_err(|e| fail(&e))?,
            salt: Some(salt.as_salt()),
            hash: Some(Output::new(&out).map_err(|e| fail(&e))?),
        };
        Ok(phc.to_string())
    }

    /// Checks `password` against a stored PHC string (whatever argon2 parameters it was made
    /// with), computing in `memory`. The comparison takes constant time.
    pub fn verify_in(&self, memory: &mut Memory, password: &str, stored: &str) -> bool {
        let Ok(parsed) = PasswordHash::new(stored) else {
            return false;
        };
        let (Ok(algorithm), Ok(params), Some(salt), Some(expected)) = (
            Algorithm::try_from(parsed.algorithm),
            Params::try_from(&parsed),
            parsed.salt,
            parsed.hash,
        ) else {
            return false;
        };
        let version = match parsed.version.map(Version::try_from) {
            None => Version::default(),
            Some(Ok(v)) => v,
            Some(Err(_)) => return false,
        };
        let mut salt_bytes = [0u8; 64];
        let Ok(salt_bytes) = salt.decode_b64(&mut salt_bytes) else {
            return false;
        };
        let mut out = vec![0u8; expected.len()];
        let blocks = memory.blocks(params.block_count());
        let computed = Argon2::new(algorithm, version, params).hash_password_into_with_memory(
            password.as_bytes(),
            salt_bytes,
            &mut out,
            blocks,
        );
        computed.is_ok() && Output::new(&out).is_ok_and(|out| out == expected)
    }

    /// Whether a stored hash was made with other parameters than the configured ones.
    pub fn needs_rehash(&self, stored: &str) -> bool {
        let Ok(parsed) = PasswordHash::new(stored) else {
            return true;
        };
        if parsed.algorithm.as_str() != "argon2id" {
            return true;
        }
        match Params::try_from(&parsed) {
            Ok(p) => {
                p.m_cost() != self.params.m_cost()
                    || p.t_cost() != self.params.t_cost()
                    || p.p_cost() != self.params.p_cost()
            }
            Err(_) => true,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum HashingError {
    /// Every slot stayed busy for the whole `auth.hash_queue_timeout_ms`.
    #[error("every password-hashing slot stayed busy for {0:?}")]
    Busy(Duration),
    #[error("password hashing failed: {0:#}")]
    Failed(anyhow::Error),
}

impl From<HashingError> for AppError {
    fn from(e: HashingError) -> Self {
        match e {
            // Overloaded: the caller retries later (503 with Retry-After).
            HashingError::Busy(_) => AppError::Unavailable(e.to_string()),
            HashingError::Failed(cause) => AppError::Internal(cause),
        }
    }
}

/// Runs password hashes for requests: at most `slots` at once on the blocking pool, each with
/// a kept block of argon2 memory; a caller that finds every slot busy waits in line up to
/// `queue_timeout`, then gets [`HashingError::Busy`].
pub struct HashingPool {
    hasher: Hasher,
    slots: Arc<Semaphore>,
    memory: Arc<Mutex<Vec<Memory>>>,
    queue_timeout: Duration,
}

impl HashingPool {
    /// `slots` 0 means one per core.
    pub fn new(hasher: Hasher, slots: usize, queue_timeout: Duration) -> Self {
        let slots = match slots {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        };
        Self {
            hasher,
            slots: Arc::new(Semaphore::new(slots)),
            memory: Arc::default(),
            queue_timeout,
        }
    }

    pub fn from_settings(s: &AuthSettings) -> anyhow::Result<Self> {
        Ok(Self::new(
            Hasher::from_settings(s)?,
            s.hash_threads,
            Duration::from_millis(s.hash_queue_timeout_ms),
        ))
    }

    /// Waits for a slot, then runs `work` on the blocking pool with the slot's memory. The slot
    /// is held until `work` ends, even if the caller gave up meanwhile.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Hasher, &mut Memory) -> T + Send + 'static,
    ) -> Result<T, HashingError> {
        let permit = tokio::time::timeout(self.queue_timeout, self.slots.clone().acquire_owned())
            .await
            .map_err(|_| HashingError::Busy(self.queue_timeout))?
            .map_err(|e| HashingError::Failed(e.into()))?;
        let hasher = self.hasher.clone();
        let kept = self.memory.clone();
        tokio::task::spawn_blocking(move || {
            let mut memory = lock(&kept).pop().unwrap_or_default();
            let out = work(&hasher, &mut memory);
            lock(&kept).push(memory);
            drop(permit);
            out
        })
        .await
        .map_err(|e| HashingError::Failed(anyhow::anyhow!("hashing task: {e}")))
    }

    pub async fn hash(&self, password: String) -> Result<String, HashingError> {
        self.run(move |h, m| h.hash_in(m, &password))
            .await?
            .map_err(HashingError::Failed)
    }

    pub async fn verify(&self, password: String, stored: String) -> Result<bool, HashingError> {
        self.run(move |h, m| h.verify_in(m, &password, &stored))
            .await
    }

    /// Checks a password and, when it matches a hash made with other parameters than the
    /// configured ones, hashes it again (in the same slot) so the caller can store the upgrade.
    pub async fn verify_and_upgrade(
        &self,
        password: String,
        stored: String,
    ) -> Result<(bool, Option<String>), HashingError> {
        self.run(move |h, m| {
            let ok = h.verify_in(m, &password, &stored);
            let upgrade = (ok && h.needs_rehash(&stored))
                .then(|| h.hash_in(m, &password).ok())
                .flatten();
            (ok, upgrade)
        })
        .await
    }

    /// Takes one slot, as a hash would, until the returned permit is dropped: tests show the
    /// queue's 503 with it without racing real hashes.
    pub async fn hold(&self) -> OwnedSemaphorePermit {
        self.slots
            .clone()
            .acquire_owned()
            .await
            .expect("the hashing semaphore is never closed")
    }

    /// Blocks of argon2 memory allocated so far (at most one per slot).
    pub fn memory_kept(&self) -> usize {
        lock(&self.memory).len()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
mod tests {
    use argon2::password_hash::{PasswordHasher, PasswordVerifier};

    use super::*;

    fn hasher(m: u32, t: u32) -> Hasher {
        Hasher {
            params: Params::new(m, t, 1, None).unwrap(),
        }
    }

    #[test]
    fn hashes_verify_and_report_old_parameters() {
        let old = hasher(19456, 2);
        let h = old.hash("đường-hỏng-ở-ngõ-7").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(old.verify("đường-hỏng-ở-ngõ-7", &h));
        assert!(!old.verify("wrong password", &h));
        assert!(!old.needs_rehash(&h));
        let new = hasher(19456, 3);
        assert!(
            new.verify("đường-hỏng-ở-ngõ-7", &h),
            "old hashes still verify"
        );
        assert!(new.needs_rehash(&h));
        assert!(!new.verify("x", "not a hash"));
    }

    #[test]
    fn hashes_made_in_kept_memory_are_standard_argon2id() {
        let h = hasher(19456, 2);
        let mut memory = Memory::default();
        // Ours, checked by the argon2 crate's own verifier …
        let ours = h.hash_in(&mut memory, "mật khẩu của tôi").unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(
            Argon2::default()
                .verify_password("mật khẩu của tôi".as_bytes(), &parsed)
                .is_ok()
        );
        // … and the crate's own (also with a smaller memory cost), checked in the same memory.
        for params in [
            Params::new(19456, 2, 1, None),
            Params::new(8192, 3, 1, None),
        ] {
            let salt = SaltString::generate(&mut OsRng);
            let theirs = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.unwrap())
                .hash_password("mật khẩu của tôi".as_bytes(), &salt)
                .unwrap()
                .to_string();
            assert!(h.verify_in(&mut memory, "mật khẩu của tôi", &theirs));
            assert!(!h.verify_in(&mut memory, "mật khẩu của bạn", &theirs));
        }
        assert!(h.verify_in(&mut memory, "mật khẩu của tôi", &ours));
        assert_eq!(memory.0.len(), 19456, "one block of memory, reused");
    }

    #[tokio::test]
    async fn the_pool_queues_up_to_its_timeout_then_says_busy() {
        let pool = HashingPool::new(hasher(19456, 2), 1, Duration::from_millis(20));
        let stored = pool.hash("một mật khẩu dài".into()).await.unwrap();
        assert!(
            pool.verify("một mật khẩu dài".into(), stored.clone())
                .await
                .unwrap()
        );
        // The only slot is taken: the caller waits its turn, then is told the pool is busy.
        let held = pool.hold().await;
        let busy = pool.verify("một mật khẩu dài".into(), stored.clone()).await;
        assert!(matches!(busy, Err(HashingError::Busy(_))), "{busy:?}");
        drop(held);
        let (ok, upgrade) = pool
            .verify_and_upgrade("một mật khẩu dài".into(), stored)
            .await
            .unwrap();
        assert!(ok && upgrade.is_none());
        assert_eq!(pool.memory_kept(), 1);
    }

    #[tokio::test]
    async fn many_callers_share_one_block_of_memory_per_slot() {
        let pool = Arc::new(HashingPool::new(
            hasher(19456, 2),
            2,
            Duration::from_secs(600),
        ));
        let tasks: Vec<_> = (0..8)
            .map(|i| {
                let pool = pool.clone();
                tokio::spawn(async move { pool.hash(format!("mật khẩu số {i}")).await })
            })
            .collect();
        for t in tasks {
            assert!(t.await.unwrap().unwrap().starts_with("$argon2id$"));
        }
        assert!(pool.memory_kept() <= 2, "{}", pool.memory_kept());
    }
}
