//! Glue from the generated keyvalue host traits to a [`KvBackend`].

use super::KvBackend;
use super::generated::wasi::keyvalue::{atomics, batch, store};
use std::sync::Arc;
use wasmtime::component::{HasData, Linker, Resource, ResourceTable, ResourceTableError};

/// An open bucket: the identifier the guest passed to `store.open`.
pub struct Bucket {
    name: String,
}

/// Error returned by host functions before it is converted to the WIT `error`.
pub enum KvError {
    Other(String),
}

impl From<ResourceTableError> for KvError {
    fn from(err: ResourceTableError) -> Self {
        Self::Other(err.to_string())
    }
}

impl From<anyhow::Error> for KvError {
    fn from(err: anyhow::Error) -> Self {
        Self::Other(format!("{err:#}"))
    }
}

/// What the keyvalue host functions see of the store's data.
pub struct KvView<'a> {
    pub backend: &'a Arc<dyn KvBackend>,
    pub table: &'a mut ResourceTable,
}

impl KvView<'_> {
    fn bucket(&self, bucket: &Resource<Bucket>) -> Result<String, KvError> {
        Ok(self.table.get(bucket)?.name.clone())
    }
}

struct HasKv;

impl HasData for HasKv {
    type Data<'a> = KvView<'a>;
}

/// Links `store`, `atomics` and `batch` of `wasi:keyvalue@0.2.0-draft`.
pub fn add_to_linker<T: Send + 'static>(
    linker: &mut Linker<T>,
    get: fn(&mut T) -> KvView<'_>,
) -> wasmtime::Result<()> {
    store::add_to_linker::<_, HasKv>(linker, get)?;
    atomics::add_to_linker::<_, HasKv>(linker, get)?;
    batch::add_to_linker::<_, HasKv>(linker, get)?;
    Ok(())
}

impl store::Host for KvView<'_> {
    fn open(&mut self, identifier: String) -> Result<Resource<Bucket>, KvError> {
        Ok(self.table.push(Bucket { name: identifier })?)
    }

    fn convert_error(&mut self, err: KvError) -> wasmtime::Result<store::Error> {
        match err {
            KvError::Other(message) => Ok(store::Error::Other(message)),
        }
    }
}

impl store::HostBucket for KvView<'_> {
    fn get(&mut self, bucket: Resource<Bucket>, key: String) -> Result<Option<Vec<u8>>, KvError> {
        let name = self.bucket(&bucket)?;
        Ok(self.backend.get(&name, &key)?)
    }

    fn set(
        &mut self,
        bucket: Resource<Bucket>,
        key: String,
        value: Vec<u8>,
    ) -> Result<(), KvError> {
        let name = self.bucket(&bucket)?;
        Ok(self.backend.set(&name, &key, &value)?)
    }

    fn delete(&mut self, bucket: Resource<Bucket>, key: String) -> Result<(), KvError> {
        let name = self.bucket(&bucket)?;
        Ok(self.backend.delete(&name, &key)?)
    }

    fn exists(&mut self, bucket: Resource<Bucket>, key: String) -> Result<bool, KvError> {
        let name = self.bucket(&bucket)?;
        Ok(self.backend.exists(&name, &key)?)
    }

    fn list_keys(
        &mut self,
        bucket: Resource<Bucket>,
        cursor: Option<u64>,
    ) -> Result<store::KeyResponse, KvError> {
        let name = self.bucket(&bucket)?;
        let page = self.backend.list_keys(&name, cursor)?;
        Ok(store::KeyResponse {
            keys: page.keys,
            cursor: page.cursor,
        })
    }

    fn drop(&mut self, bucket: Resource<Bucket>) -> wasmtime::Result<()> {
        self.table.delete(bucket)?;
        Ok(())
    }
}

impl atomics::Host for KvView<'_> {
    fn increment(
        &mut self,
        bucket: Resource<Bucket>,
        key: String,
        delta: u64,
    ) -> Result<u64, KvError> {
        let name = self.bucket(&bucket)?;
        Ok(self.backend.increment(&name, &key, delta)?)
    }
}

impl batch::Host for KvView<'_> {
    fn get_many(
        &mut self,
        bucket: Resource<Bucket>,
        keys: Vec<String>,
    ) -> Result<Vec<Option<(String, Vec<u8>)>>, KvError> {
        let name = self.bucket(&bucket)?;
        let mut out = Vec::with_capacity(keys.len());
        for key in keys {
            let value = self.backend.get(&name, &key)?;
            out.push(value.map(|v| (key, v)));
        }
        Ok(out)
    }

    fn set_many(
        &mut self,
        bucket: Resource<Bucket>,
        key_values: Vec<(String, Vec<u8>)>,
    ) -> Result<(), KvError> {
        let name = self.bucket(&bucket)?;
        for (key, value) in key_values {
            self.backend.set(&name, &key, &value)?;
        }
        Ok(())
    }

    fn delete_many(&mut self, bucket: Resource<Bucket>, keys: Vec<String>) -> Result<(), KvError> {
        let name = self.bucket(&bucket)?;
        for key in keys {
            self.backend.delete(&name, &key)?;
        }
        Ok(())
    }
}
