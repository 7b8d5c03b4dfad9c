//! `KeyValue` over wasi:keyvalue@0.2.0-draft (store + atomics). A `draft2`
//! variant for Spin would be a second implementation of this one file.

use super::bindings::wasi::keyvalue::{atomics, store};
use crate::error::Error;
use crate::ports::{KeyValue, StoreError};

pub struct WasiKv {
    bucket: store::Bucket,
}

fn describe(e: store::Error) -> String {
    match e {
        store::Error::NoSuchStore => "no such key-value store".into(),
        store::Error::AccessDenied => "access to the key-value store denied".into(),
        store::Error::Other(m) => m,
    }
}

impl WasiKv {
    pub fn open(identifier: &str) -> Result<WasiKv, Error> {
        store::open(identifier)
            .map(|bucket| WasiKv { bucket })
            .map_err(|e| Error::Storage(format!("opening bucket {identifier:?}: {}", describe(e))))
    }
}

impl KeyValue for WasiKv {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.bucket
            .get(key)
            .map_err(|e| StoreError(format!("get {key}: {}", describe(e))))
    }

    fn set(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.bucket
            .set(key, value)
            .map_err(|e| StoreError(format!("set {key}: {}", describe(e))))
    }

    fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.bucket
            .delete(key)
            .map_err(|e| StoreError(format!("delete {key}: {}", describe(e))))
    }

    fn increment(&self, key: &str, delta: u64) -> Result<u64, StoreError> {
        atomics::increment(&self.bucket, key, delta)
            .map_err(|e| StoreError(format!("increment {key}: {}", describe(e))))
    }
}
