//! Webhook secrets managed in Attest, beside the ones in the settings: made and revoked on the
//! webhooks page or with `attest hook-secret`, several valid at once so a sender can be moved
//! to a new secret before the old one is revoked.
//!
//! GitHub and Terraform sign with the secret (HMAC), so Attest needs the secret itself, not a
//! hash of it. It is therefore never stored: each is derived from the *secrets key*, a file
//! kept outside the database, and a random salt stored in its row. The row also keeps the
//! secret's SHA-256 (its fingerprint), which the ledger records; a wrong key file derives
//! secrets whose fingerprints do not match, and those are refused rather than used.
//!
//! [`HookKeys`] is what the webhook endpoints read: the settings' secrets plus the live managed
//! ones, reloaded when changed here, every [`MAX_AGE`], and once after a request no secret
//! matched (a secret made by the CLI or another instance then works at once).

use crate::audit::{actions, NewAction};
use crate::model::HookEndpoint;
use crate::signature::HookSecrets;
use crate::store::{HookSecretRecord, NewHookSecret, Store, StoreError};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// How long a loaded set of secrets is used before it is read again (a revocation made
/// elsewhere takes effect within this).
pub const MAX_AGE: Duration = Duration::from_secs(30);

/// The least time between two reloads caused by requests no secret matched.
const MISS_GAP: Duration = Duration::from_secs(1);

/// How often a secret's last use is written: at most once a minute.
const USE_WRITE_GAP_US: i64 = 60_000_000;

/// Every managed secret starts with this, so a leaked one is easy to recognise.
pub const PREFIX: &str = "attest_whs_";

/// The key managed secrets are derived from: 32 random bytes, kept in a file outside the
/// database as 64 hex digits.
#[derive(Clone)]
pub struct SecretsKey([u8; 32]);

impl std::fmt::Debug for SecretsKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretsKey(…)")
    }
}

/// Why a secrets key file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("reading the secrets key {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("creating the secrets key {path} (it must not exist yet): {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
    #[error("the secrets key {path} must hold 64 hex digits (as `attest hook-secret key` writes)")]
    Malformed { path: String },
}

impl SecretsKey {
    /// A new random key.
    pub fn generate() -> SecretsKey {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        SecretsKey(bytes)
    }

    /// The key in `path` (64 hex digits; surrounding white space is ignored).
    pub fn read(path: &Path) -> Result<SecretsKey, KeyError> {
        let text = std::fs::read_to_string(path).map_err(|source| KeyError::Read {
            path: path.display().to_string(),
            source,
        })?;
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(text.trim(), &mut bytes).map_err(|_| KeyError::Malformed {
            path: path.display().to_string(),
        })?;
        Ok(SecretsKey(bytes))
    }

    /// Writes a new key to `path`, which must not exist; readable by its owner only.
    pub fn create(path: &Path) -> Result<SecretsKey, KeyError> {
        use std::io::Write as _;
        let key = SecretsKey::generate();
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            options.mode(0o600);
        }
        let failed = |source| KeyError::Write {
            path: path.display().to_string(),
            source,
        };
        let mut file = options.open(path).map_err(failed)?;
        file.write_all(format!("{}\n", hex::encode(key.0)).as_bytes())
            .map_err(failed)?;
        Ok(key)
    }

    /// The secret of `endpoint` with `salt`: HMAC-SHA256 under the key, labelled so that no
    /// other use of the key can produce it.
    pub fn derive(&self, endpoint: HookEndpoint, salt: &str) -> String {
        #[allow(clippy::expect_used)]
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC accepts every key length");
        mac.update(b"attest webhook secret v1\n");
        mac.update(endpoint.as_str().as_bytes());
        mac.update(b"\n");
        mac.update(salt.as_bytes());
        format!(
            "{PREFIX}{}",
            URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
        )
    }
}

/// The SHA-256 of a secret (hex): what is stored and recorded instead of it.
pub fn fingerprint(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Who is changing the secrets, for the audit log.
#[derive(Debug, Clone)]
pub struct Changer {
    pub actor: String,
    pub role: String,
    pub ip: String,
}

/// A secret just made: its record and the secret, shown this once.
#[derive(Debug, Clone)]
pub struct Made {
    pub record: HookSecretRecord,
    pub secret: String,
}

/// The audit-log row of revoking the secret `name`, for [`Store::revoke_hook_secret`] (which
/// needs no secrets key).
pub fn revocation(name: &str, by: &Changer, at: DateTime<Utc>) -> NewAction {
    NewAction {
        at,
        actor: by.actor.clone(),
        role: by.role.clone(),
        action: actions::HOOK_SECRET_REVOKE.to_owned(),
        target: name.trim().to_owned(),
        detail: String::new(),
        ip: by.ip.clone(),
    }
}

/// Why a name cannot be a secret's name.
fn check_name(name: &str) -> Result<&str, StoreError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(StoreError::Invalid(
            "name: say which sender uses the secret (1 to 100 characters, e.g. github-org-2026)"
                .to_owned(),
        ));
    }
    Ok(name)
}

/// The secrets the push endpoints accept, kept current.
pub struct HookKeys {
    store: Store,
    /// From the settings (flags, environment).
    settings: HookSecrets,
    key: Option<SecretsKey>,
    current: RwLock<Loaded>,
    /// Held while reloading, so concurrent misses reload once.
    reloading: tokio::sync::Mutex<()>,
    /// When each managed secret's use was last written (row id → Unix microseconds).
    written: tokio::sync::Mutex<HashMap<i64, i64>>,
    /// The stored secrets found unusable so far (each is logged once).
    refused: std::sync::Mutex<std::collections::HashSet<i64>>,
}

struct Loaded {
    secrets: Arc<HookSecrets>,
    at: Instant,
    /// The managed rows loaded, to tell whether a reload changed anything.
    ids: Vec<i64>,
}

impl HookKeys {
    /// The settings' secrets and the live managed ones as stored now.
    pub async fn load(
        store: Store,
        settings: HookSecrets,
        key: Option<SecretsKey>,
    ) -> Result<HookKeys, StoreError> {
        let keys = HookKeys {
            current: RwLock::new(Loaded {
                secrets: Arc::new(settings.clone()),
                at: Instant::now(),
                ids: Vec::new(),
            }),
            store,
            settings,
            key,
            reloading: tokio::sync::Mutex::new(()),
            written: tokio::sync::Mutex::new(HashMap::new()),
            refused: std::sync::Mutex::new(std::collections::HashSet::new()),
        };
        keys.reload().await?;
        Ok(keys)
    }

    /// Whether managed secrets can be made and used (a secrets key is set).
    pub fn has_key(&self) -> bool {
        self.key.is_some()
    }

    /// The settings' secrets alone.
    pub fn settings(&self) -> &HookSecrets {
        &self.settings
    }

    /// The secrets as last loaded, without reading the database.
    pub fn now(&self) -> Arc<HookSecrets> {
        match self.current.read() {
            Ok(loaded) => loaded.secrets.clone(),
            Err(poisoned) => poisoned.into_inner().secrets.clone(),
        }
    }

    fn loaded_at(&self) -> (Instant, Vec<i64>) {
        match self.current.read() {
            Ok(loaded) => (loaded.at, loaded.ids.clone()),
            Err(poisoned) => {
                let loaded = poisoned.into_inner();
                (loaded.at, loaded.ids.clone())
            }
        }
    }

    /// The secrets, read again first when the loaded ones are older than [`MAX_AGE`]. When
    /// the database cannot be read, the loaded ones are used and the failure logged.
    pub async fn fresh(&self) -> Arc<HookSecrets> {
        if self.loaded_at().0.elapsed() >= MAX_AGE {
            let _one = self.reloading.lock().await;
            // Requests that waited here find them read already.
            if self.loaded_at().0.elapsed() >= MAX_AGE {
                if let Err(err) = self.read_secrets().await {
                    tracing::warn!(error = %err, "webhook secrets not reloaded; using the loaded ones");
                }
            }
        }
        self.now()
    }

    /// After a request no secret matched: reads the secrets again (at most once per
    /// [`MISS_GAP`]) and gives them when they changed, so the request can be checked again.
    pub async fn after_miss(&self) -> Option<Arc<HookSecrets>> {
        let _one = self.reloading.lock().await;
        let (at, before) = self.loaded_at();
        if at.elapsed() < MISS_GAP {
            return None;
        }
        match self.read_secrets().await {
            Ok(after) if after != before => Some(self.now()),
            Ok(_) => None,
            Err(err) => {
                tracing::warn!(error = %err, "webhook secrets not reloaded after a mismatch");
                None
            }
        }
    }

    /// Reads the live managed secrets and makes them current with the settings' ones; gives
    /// the managed rows now in use. Uses seen so far are written first.
    pub async fn reload(&self) -> Result<Vec<i64>, StoreError> {
        let _one = self.reloading.lock().await;
        self.read_secrets().await
    }

    /// [`HookKeys::reload`], with `reloading` held by the caller.
    async fn read_secrets(&self) -> Result<Vec<i64>, StoreError> {
        self.record_uses().await;
        let records = self.store.list_hook_secrets().await?;
        let live: Vec<&HookSecretRecord> =
            records.iter().filter(|r| r.revoked_at.is_none()).collect();
        let live_ids: Vec<i64> = live.iter().map(|r| r.id).collect();
        let revoked = self.store.hook_secrets_revoked_in_ledger(&live_ids).await?;
        let mut managed: Vec<(i64, HookEndpoint, String)> = Vec::new();
        for record in live {
            if revoked.contains(&record.id) {
                self.refuse(
                    record,
                    "the ledger records its revocation but its row says it is live \
                     (run `attest verify`)",
                );
                continue;
            }
            let Some(key) = &self.key else {
                self.refuse(record, "no secrets key is set (ATTEST_SECRETS_KEY_FILE)");
                continue;
            };
            let secret = key.derive(record.endpoint, &record.salt);
            if fingerprint(&secret) != record.fingerprint {
                self.refuse(
                    record,
                    "it was made with another secrets key, or its row was changed \
                     (run `attest verify`)",
                );
                continue;
            }
            managed.push((record.id, record.endpoint, secret));
        }
        let ids: Vec<i64> = managed.iter().map(|(id, _, _)| *id).collect();
        let secrets = self.settings.with_managed(
            managed
                .iter()
                .map(|(id, endpoint, secret)| (*id, *endpoint, secret.as_bytes())),
        );
        let loaded = Loaded {
            secrets: Arc::new(secrets),
            at: Instant::now(),
            ids: ids.clone(),
        };
        match self.current.write() {
            Ok(mut current) => *current = loaded,
            Err(poisoned) => *poisoned.into_inner() = loaded,
        }
        Ok(ids)
    }

    /// Logs, once per process and secret, why a stored secret is not used.
    fn refuse(&self, record: &HookSecretRecord, why: &str) {
        let first = match self.refused.lock() {
            Ok(mut refused) => refused.insert(record.id),
            Err(poisoned) => poisoned.into_inner().insert(record.id),
        };
        if first {
            tracing::error!(name = %record.name, "webhook secret not used: {why}");
        }
    }

    /// Writes when managed secrets last matched, each at most once a minute. A failure is
    /// logged: a use time is worth less than the delivery it came with.
    pub async fn record_uses(&self) {
        let mut written = self.written.lock().await;
        let due: Vec<(i64, i64)> = self
            .now()
            .managed_uses()
            .into_iter()
            .filter(|(id, at)| written.get(id).is_none_or(|w| *at >= w + USE_WRITE_GAP_US))
            .collect();
        if due.is_empty() {
            return;
        }
        match self.store.record_hook_secret_uses(&due).await {
            Ok(()) => written.extend(due),
            Err(err) => tracing::warn!(error = %err, "webhook secret use not recorded"),
        }
    }

    /// Makes a secret for `endpoint`, records it (audit log and ledger) and starts accepting
    /// it at once. Needs the secrets key.
    pub async fn create(
        &self,
        name: &str,
        endpoint: HookEndpoint,
        by: &Changer,
        at: DateTime<Utc>,
    ) -> Result<Made, StoreError> {
        let name = check_name(name)?;
        let Some(key) = &self.key else {
            return Err(StoreError::Invalid(
                "webhook secrets made in Attest need a secrets key: create one with \
                 `attest hook-secret key FILE` and set ATTEST_SECRETS_KEY_FILE (or \
                 --secrets-key-file) to it"
                    .to_owned(),
            ));
        };
        let mut salt = [0u8; 16];
        rand::rngs::OsRng.fill_bytes(&mut salt);
        let salt = hex::encode(salt);
        let secret = key.derive(endpoint, &salt);
        let fingerprint = fingerprint(&secret);
        let action = NewAction {
            at,
            actor: by.actor.clone(),
            role: by.role.clone(),
            action: actions::HOOK_SECRET_CREATE.to_owned(),
            target: name.to_owned(),
            detail: format!(
                "{} secret, fingerprint {}",
                endpoint.path(),
                &fingerprint[..16]
            ),
            ip: by.ip.clone(),
        };
        let id = self
            .store
            .create_hook_secret(
                &NewHookSecret {
                    name,
                    endpoint,
                    salt: &salt,
                    fingerprint: &fingerprint,
                    created_by: &by.actor,
                    at,
                },
                &action,
            )
            .await?;
        // What was stored stands; the secrets are read again at the latest after MAX_AGE.
        if let Err(err) = self.reload().await {
            tracing::warn!(error = %err, "webhook secrets not reloaded after a change");
        }
        let record = HookSecretRecord {
            id,
            name: name.to_owned(),
            endpoint,
            salt,
            fingerprint,
            created_by: by.actor.clone(),
            created_at: crate::store::from_micros("hook_secrets", id, at.timestamp_micros())?,
            last_used_at: None,
            revoked_at: None,
        };
        Ok(Made { record, secret })
    }

    /// Revokes the live secret `name` (recorded in the audit log and ledger); it stops being
    /// accepted at once here, and within [`MAX_AGE`] on other instances.
    pub async fn revoke(
        &self,
        name: &str,
        by: &Changer,
        at: DateTime<Utc>,
    ) -> Result<HookSecretRecord, StoreError> {
        let record = self
            .store
            .revoke_hook_secret(name.trim(), &revocation(name, by, at))
            .await?;
        // What was stored stands; the secrets are read again at the latest after MAX_AGE.
        if let Err(err) = self.reload().await {
            tracing::warn!(error = %err, "webhook secrets not reloaded after a change");
        }
        Ok(record)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn derived_secrets_depend_on_key_endpoint_and_salt() {
        let key = SecretsKey([7; 32]);
        let a = key.derive(HookEndpoint::Github, "00ff");
        assert!(a.starts_with(PREFIX));
        assert_eq!(a, key.derive(HookEndpoint::Github, "00ff"));
        assert_ne!(a, key.derive(HookEndpoint::Gitlab, "00ff"));
        assert_ne!(a, key.derive(HookEndpoint::Github, "00fe"));
        assert_ne!(a, SecretsKey([8; 32]).derive(HookEndpoint::Github, "00ff"));
        // URL-safe: it can go in a query string (?token=, ?key=) as it is.
        assert!(a[PREFIX.len()..]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
    }

    #[test]
    fn a_key_file_is_written_once_and_read_back() {
        let dir = std::env::temp_dir().join(format!("attest-key-{}", rand::random::<u64>()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("secrets.key");
        let key = SecretsKey::create(&path).unwrap();
        let read = SecretsKey::read(&path).unwrap();
        assert_eq!(key.0, read.0);
        assert!(matches!(
            SecretsKey::create(&path),
            Err(KeyError::Write { .. })
        ));
        std::fs::write(&path, "not hex").unwrap();
        let err = SecretsKey::read(&path).unwrap_err().to_string();
        assert!(err.contains("64 hex digits"), "{err}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "readable by others: {mode:o}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn names_must_say_something() {
        assert!(check_name("  ").is_err());
        assert!(check_name(&"x".repeat(101)).is_err());
        assert!(check_name("a\nb").is_err());
        assert_eq!(check_name(" github-2026 ").unwrap(), "github-2026");
    }
}
