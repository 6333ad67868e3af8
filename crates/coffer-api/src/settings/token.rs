//! The API token: from `COFFER_API_TOKEN` when set (scripts, containers), else from
//! the OS keychain, where it is created on first start.

use coffer_core::Sensitive;
use coffer_core::secret::SecretStore;

use crate::error::ApiResult as Result;

/// The keychain entry of the API token.
pub const TOKEN_SECRET: &str = "api/token";

/// A new random token: 256 bits from the OS's generator, as hex.
fn generate() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

/// The token: `from_env` if given and not empty, else the keychain's, created there
/// if missing. Fails when the keychain is unavailable, rather than keep a token in a
/// file.
pub fn api_token(secrets: &dyn SecretStore, from_env: Option<String>) -> Result<Sensitive<String>> {
    if let Some(token) = from_env.filter(|t| !t.trim().is_empty()) {
        return Ok(Sensitive::new(token.trim().to_string()));
    }
    if let Some(token) = secrets.get(TOKEN_SECRET)? {
        return Ok(token);
    }
    let token = Sensitive::new(generate());
    secrets.set(TOKEN_SECRET, &token)?;
    tracing::info!("created the API token in the keychain");
    Ok(token)
}

/// Replaces the token with a new one.
pub fn rotate(secrets: &dyn SecretStore) -> Result<Sensitive<String>> {
    let token = Sensitive::new(generate());
    secrets.set(TOKEN_SECRET, &token)?;
    Ok(token)
}

#[cfg(test)]
mod tests {
    use coffer_core::secret::MemorySecretStore;

    use super::*;

    #[test]
    fn created_once_then_kept() {
        let secrets = MemorySecretStore::default();
        let first = api_token(&secrets, None).expect("create");
        assert_eq!(first.expose().len(), 64);
        let again = api_token(&secrets, None).expect("read");
        assert_eq!(first.expose(), again.expose());
        let env = api_token(&secrets, Some("from-env".into())).expect("env");
        assert_eq!(env.expose(), "from-env");
        let rotated = rotate(&secrets).expect("rotate");
        assert_ne!(rotated.expose(), first.expose());
    }
}
