//! Where upload bytes live: a local directory by default, any S3-compatible bucket by config.

use std::sync::Arc;

use bytes::Bytes;
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};

use super::{InvalidMediaSettings, MediaSettings, S3Settings};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Config(#[from] InvalidMediaSettings),
    #[error("`{0}` is not a valid media key")]
    InvalidKey(String),
    #[error("no stored object under `{0}`")]
    NotFound(String),
    #[error("media store: {0}")]
    Backend(#[source] object_store::Error),
}

/// The uploads' bytes, by key. Keys are chosen by the caller (a random UUID v4, optionally with
/// an extension or a `thumb/` prefix); they never come from the client.
#[derive(Clone, Debug)]
pub struct MediaStore {
    inner: Arc<dyn ObjectStore>,
}

impl MediaStore {
    /// Opens the store `settings.store` names: `local` (the directory `local_dir`, created if
    /// missing) or `s3` (the bucket `[media.s3]` describes).
    pub fn from_settings(settings: &MediaSettings) -> Result<Self, StoreError> {
        settings.validate()?;
        match (settings.store.as_str(), &settings.s3) {
            ("s3", Some(s3)) => Self::s3(s3),
            _ => Self::local(&settings.local_dir),
        }
    }

    /// A store over any `object_store` backend, e.g. `object_store::memory::InMemory` in tests.
    pub fn new(inner: Arc<dyn ObjectStore>) -> Self {
        Self { inner }
    }

    fn local(dir: &str) -> Result<Self, StoreError> {
        let config = |message: String| {
            StoreError::Config(InvalidMediaSettings {
                key: "media.local_dir",
                message,
            })
        };
        std::fs::create_dir_all(dir).map_err(|e| config(format!("cannot create `{dir}`: {e}")))?;
        let fs = LocalFileSystem::new_with_prefix(dir)
            .map_err(|e| config(format!("cannot open `{dir}`: {e}")))?
            // Removes directories left empty by a delete.
            .with_automatic_cleanup(true);
        Ok(Self::new(Arc::new(fs)))
    }

    fn s3(s3: &S3Settings) -> Result<Self, StoreError> {
        // reqwest is built without a bundled TLS provider; the server installs ring at start-up,
        // and this makes the store usable on its own (a CLI command, a test).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut builder = AmazonS3Builder::from_env()
            .with_bucket_name(&s3.bucket)
            .with_region(&s3.region)
            .with_allow_http(s3.allow_http)
            // We delete one object at a time; plain DELETE works on every S3-compatible service.
            .with_disable_bulk_delete(true);
        if let Some(endpoint) = &s3.endpoint {
            builder = builder.with_endpoint(endpoint);
        }
        if let Some(id) = &s3.access_key_id {
            builder = builder.with_access_key_id(id);
        }
        if let Some(secret) = &s3.secret_access_key {
            builder = builder.with_secret_access_key(secret);
        }
        let store = builder.build().map_err(|e| InvalidMediaSettings {
            key: "media.s3",
            message: e.to_string(),
        })?;
        Ok(Self::new(Arc::new(store)))
    }

    /// Stores `bytes` under `key`, replacing what was there. The local store writes a temporary
    /// file and renames it, so a reader never sees half a file.
    pub async fn put(&self, key: &str, bytes: Bytes) -> Result<(), StoreError> {
        let path = parse_key(key)?;
        self.inner
            .put(&path, PutPayload::from_bytes(bytes))
            .await
            .map_err(StoreError::Backend)?;
        Ok(())
    }

    pub async fn get(&self, key: &str) -> Result<Bytes, StoreError> {
        let path = parse_key(key)?;
        let found = self.inner.get(&path).await.map_err(|e| not_found(e, key))?;
        found.bytes().await.map_err(|e| not_found(e, key))
    }

    /// Removes `key`; removing a key that is not there is not an error (S3 behaves so too).
    pub async fn delete(&self, key: &str) -> Result<(), StoreError> {
        let path = parse_key(key)?;
        match self.inner.delete(&path).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(StoreError::Backend(e)),
        }
    }
}

/// Keys are plain relative paths: no empty, `.` or `..` segment, nothing that escapes the store.
fn parse_key(key: &str) -> Result<Path, StoreError> {
    let invalid = || StoreError::InvalidKey(key.to_string());
    if key.is_empty() || key.starts_with('/') || key.ends_with('/') {
        return Err(invalid());
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/');
    if !key.chars().all(allowed) {
        return Err(invalid());
    }
    Path::parse(key).map_err(|_| invalid())
}

fn not_found(error: object_store::Error, key: &str) -> StoreError {
    match error {
        object_store::Error::NotFound { .. } => StoreError::NotFound(key.to_string()),
        other => StoreError::Backend(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local_settings(dir: &std::path::Path) -> MediaSettings {
        MediaSettings {
            local_dir: dir.join("uploads").to_string_lossy().into_owned(),
            ..MediaSettings::default()
        }
    }

    #[tokio::test]
    async fn local_store_round_trips_bytes_and_creates_its_directory() {
        let tmp = tempfile::tempdir().unwrap();
        let settings = local_settings(tmp.path());
        let store = MediaStore::from_settings(&settings).unwrap();
        assert!(tmp.path().join("uploads").is_dir());

        let key = format!("{}.jpg", uuid::Uuid::new_v4());
        let bytes = Bytes::from_static(b"\xFF\xD8\xFF not really a photo");
        store.put(&key, bytes.clone()).await.unwrap();
        assert_eq!(store.get(&key).await.unwrap(), bytes);
        // The bytes are really on disk under the configured directory.
        assert_eq!(
            std::fs::read(tmp.path().join("uploads").join(&key)).unwrap(),
            bytes
        );

        // A store opened again on the same directory sees the same object.
        let again = MediaStore::from_settings(&settings).unwrap();
        assert_eq!(again.get(&key).await.unwrap(), bytes);

        store.delete(&key).await.unwrap();
        assert!(matches!(
            store.get(&key).await,
            Err(StoreError::NotFound(k)) if k == key
        ));
        store.delete(&key).await.unwrap();
    }

    #[tokio::test]
    async fn nested_keys_work_and_keys_cannot_escape_the_store() {
        let tmp = tempfile::tempdir().unwrap();
        let store = MediaStore::from_settings(&local_settings(tmp.path())).unwrap();
        let key = format!("thumb/{}.jpg", uuid::Uuid::new_v4());
        store.put(&key, Bytes::from_static(b"t")).await.unwrap();
        assert_eq!(store.get(&key).await.unwrap(), Bytes::from_static(b"t"));

        for bad in [
            "",
            "../escape",
            "a/../../escape",
            "/etc/passwd",
            "a//b",
            "dir/",
            "./a",
            "a b",
            "a\\b",
        ] {
            assert!(
                matches!(
                    store.put(bad, Bytes::from_static(b"x")).await,
                    Err(StoreError::InvalidKey(_))
                ),
                "{bad:?} was accepted"
            );
        }
        assert!(!tmp.path().join("escape").exists());
    }

    #[test]
    fn unknown_store_and_missing_s3_section_name_the_key() {
        let settings = MediaSettings {
            store: "ftp".into(),
            ..MediaSettings::default()
        };
        let err = MediaStore::from_settings(&settings)
            .unwrap_err()
            .to_string();
        assert!(err.contains("media.store"), "{err}");

        let settings = MediaSettings {
            store: "s3".into(),
            ..MediaSettings::default()
        };
        let err = MediaStore::from_settings(&settings)
            .unwrap_err()
            .to_string();
        assert!(err.contains("media.s3"), "{err}");
    }

    /// A minimal S3 on loopback: PUT, GET and DELETE by path, each request signed or refused.
    mod fake_s3 {
        use std::collections::HashMap;
        use std::sync::{Arc, Mutex};

        use actix_web::http::Method;
        use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};

        pub type Objects = Arc<Mutex<HashMap<String, Vec<u8>>>>;

        async fn handle(
            req: HttpRequest,
            body: web::Bytes,
            objects: web::Data<Objects>,
        ) -> HttpResponse {
            let signed = req
                .headers()
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("AWS4-HMAC-SHA256 Credential=minio/"));
            if !signed {
                return HttpResponse::Forbidden().body("<Error><Code>AccessDenied</Code></Error>");
            }
            let path = req.path().to_string();
            let mut objects = objects.lock().unwrap();
            match *req.method() {
                Method::PUT => {
                    objects.insert(path, body.to_vec());
                    HttpResponse::Ok().insert_header(("ETag", "\"1\"")).finish()
                }
                Method::GET => match objects.get(&path) {
                    Some(bytes) => HttpResponse::Ok()
                        .insert_header(("ETag", "\"1\""))
                        .insert_header(("Last-Modified", "Wed, 21 Oct 2015 07:28:00 GMT"))
                        .body(bytes.clone()),
                    None => HttpResponse::NotFound()
                        .body("<Error><Code>NoSuchKey</Code><Message>none</Message></Error>"),
                },
                Method::DELETE => {
                    objects.remove(&path);
                    HttpResponse::NoContent().finish()
                }
                _ => HttpResponse::MethodNotAllowed().finish(),
            }
        }

        /// Starts the server; returns its base URL and what it holds.
        pub fn start() -> (String, Objects) {
            let objects = Objects::default();
            let data = web::Data::new(objects.clone());
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            let url = format!("http://{}", listener.local_addr().unwrap());
            let server = HttpServer::new(move || {
                App::new()
                    .app_data(data.clone())
                    .default_service(web::to(handle))
            })
            .workers(1)
            .disable_signals()
            .listen(listener)
            .unwrap()
            .run();
            tokio::spawn(server);
            (url, objects)
        }
    }

    fn s3_settings(endpoint: &str) -> MediaSettings {
        MediaSettings {
            store: "s3".into(),
            s3: Some(S3Settings {
                bucket: "nghedan-uploads".into(),
                region: "us-east-1".into(),
                endpoint: Some(endpoint.into()),
                access_key_id: Some("minio".into()),
                secret_access_key: Some("minio-secret".into()),
                allow_http: true,
            }),
            ..MediaSettings::default()
        }
    }

    #[tokio::test]
    async fn s3_store_round_trips_through_a_signed_s3_api() {
        let (url, objects) = fake_s3::start();
        let store = MediaStore::from_settings(&s3_settings(&url)).unwrap();
        let key = format!("{}.png", uuid::Uuid::new_v4());
        let bytes = Bytes::from_static(b"\x89PNG stored remotely");

        store.put(&key, bytes.clone()).await.unwrap();
        let path = format!("/nghedan-uploads/{key}");
        assert_eq!(
            objects.lock().unwrap().get(&path).map(Vec::as_slice),
            Some(&bytes[..])
        );
        assert_eq!(store.get(&key).await.unwrap(), bytes);

        store.delete(&key).await.unwrap();
        assert!(objects.lock().unwrap().is_empty());
        assert!(matches!(
            store.get(&key).await,
            Err(StoreError::NotFound(_))
        ));
    }

    #[test]
    fn s3_secrets_do_not_show_in_debug_output() {
        let settings = s3_settings("http://127.0.0.1:9000");
        let store = MediaStore::from_settings(&settings).unwrap();
        assert!(format!("{store:?}").contains("nghedan-uploads"));
        assert!(!format!("{store:?}").contains("minio-secret"));
        assert!(!format!("{settings:?}").contains("minio-secret"));
    }
}
