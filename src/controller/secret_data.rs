//! Reading the Secrets and ConfigMaps a spec names (credentials, keyrings, `valuesFrom`) as
//! raw bytes by key, the one shape every consumer wants. The API server returns Secret data
//! already base64-decoded by k8s-openapi (`ByteString`), ConfigMap `data` as text and
//! `binaryData` as bytes.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use kube::Api;

/// Entries of a Secret or ConfigMap: key → bytes.
pub type DataEntries = BTreeMap<String, Vec<u8>>;

/// The `data` of `secret` (empty when it has none).
pub fn secret_entries(secret: Secret) -> DataEntries {
    secret
        .data
        .unwrap_or_default()
        .into_iter()
        .map(|(key, value)| (key, value.0))
        .collect()
}

/// The `data` and `binaryData` of `config_map`; a key in both takes `binaryData`'s bytes
/// (the API server refuses such ConfigMaps, so this only fixes an order).
pub fn config_map_entries(config_map: ConfigMap) -> DataEntries {
    let mut entries: DataEntries = config_map
        .data
        .unwrap_or_default()
        .into_iter()
        .map(|(key, value)| (key, value.into_bytes()))
        .collect();
    entries.extend(
        config_map
            .binary_data
            .unwrap_or_default()
            .into_iter()
            .map(|(key, value)| (key, value.0)),
    );
    entries
}

/// Reads Secret `name` through `secrets`: `Ok(None)` when it does not exist.
///
/// # Errors
/// The API error of the read (forbidden, unreachable...).
pub async fn read_secret(
    secrets: &Api<Secret>,
    name: &str,
) -> Result<Option<DataEntries>, kube::Error> {
    Ok(secrets.get_opt(name).await?.map(secret_entries))
}

/// Reads ConfigMap `name` through `config_maps`: `Ok(None)` when it does not exist.
///
/// # Errors
/// The API error of the read.
pub async fn read_config_map(
    config_maps: &Api<ConfigMap>,
    name: &str,
) -> Result<Option<DataEntries>, kube::Error> {
    Ok(config_maps.get_opt(name).await?.map(config_map_entries))
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::ByteString;

    #[test]
    fn config_map_text_and_binary_entries_become_bytes() {
        let config_map = ConfigMap {
            data: Some(BTreeMap::from([(
                "values.yaml".to_owned(),
                "a: 1\n".to_owned(),
            )])),
            binary_data: Some(BTreeMap::from([(
                "blob".to_owned(),
                ByteString(vec![0, 159, 255]),
            )])),
            ..ConfigMap::default()
        };
        let entries = config_map_entries(config_map);
        assert_eq!(entries["values.yaml"], b"a: 1\n");
        assert_eq!(entries["blob"], [0, 159, 255]);
    }

    #[test]
    fn secret_without_data_has_no_entries() {
        assert!(secret_entries(Secret::default()).is_empty());
        let secret = Secret {
            data: Some(BTreeMap::from([(
                "password".to_owned(),
                ByteString(b"pw".to_vec()),
            )])),
            ..Secret::default()
        };
        assert_eq!(secret_entries(secret)["password"], b"pw");
    }
}
