//! `embargo cve reserve`: reserves CVE IDs through the CVE Services API and adds them to the
//! organisation's pool, from where reports get them as usual.

use anyhow::{Context, Result, bail};
use embargo_cveservices::{ApiKey, BatchType, Client, Credentials};
use embargo_domain::ids::CveId;
use embargo_store::Cves;

use crate::cli::DataArgs;
use crate::config::Settings;
use crate::init::ensure_initialised;

/// The CVE Services account, from `EMBARGO_CVE_API_URL`, `_ORG`, `_USER` and `_KEY`.
pub struct ApiConfig {
    /// The deployment, e.g. `https://cveawg.mitre.org/api/`.
    pub url: String,
    /// Who we are there.
    pub credentials: Credentials,
}

impl ApiConfig {
    /// Reads the four variables; names every one that is missing.
    pub fn from_env() -> Result<Self> {
        let get = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let names = [
            "EMBARGO_CVE_API_URL",
            "EMBARGO_CVE_API_ORG",
            "EMBARGO_CVE_API_USER",
            "EMBARGO_CVE_API_KEY",
        ];
        let values: Vec<Option<String>> = names.iter().map(|n| get(n)).collect();
        let missing: Vec<&str> = names
            .iter()
            .zip(&values)
            .filter(|(_, v)| v.is_none())
            .map(|(n, _)| *n)
            .collect();
        if !missing.is_empty() {
            bail!(
                "CVE Services is not configured: set {} (the URL is {} for production, {} for the test service)",
                missing.join(", "),
                embargo_cveservices::PRODUCTION_URL,
                embargo_cveservices::TEST_URL
            );
        }
        let [url, org, user, key] = <[Option<String>; 4]>::try_from(values)
            .map_err(|_| anyhow::anyhow!("four settings expected"))?
            .map(Option::unwrap_or_default);
        Ok(Self {
            url,
            credentials: Credentials::new(org, user, ApiKey::new(key)),
        })
    }
}

/// The CVE Services client when any of the `EMBARGO_CVE_API_*` variables is set (an
/// incomplete set is an error naming what is missing); `None` when none is.
pub fn client_from_env() -> Result<Option<Client>> {
    let any = [
        "EMBARGO_CVE_API_URL",
        "EMBARGO_CVE_API_ORG",
        "EMBARGO_CVE_API_USER",
        "EMBARGO_CVE_API_KEY",
    ]
    .iter()
    .any(|n| std::env::var(n).is_ok_and(|v| !v.trim().is_empty()));
    if !any {
        return Ok(None);
    }
    let api = ApiConfig::from_env()?;
    Client::new(&api.url, api.credentials)
        .map(Some)
        .context("the CVE Services client")
}

/// `embargo cve reserve`.
pub async fn reserve(data: &DataArgs, count: u32, year: Option<u16>) -> Result<()> {
    reserve_with(data, &ApiConfig::from_env()?, count, year)
        .await
        .map(|_| ())
}

/// Reserves `count` IDs of `year` (default: this year) and adds them to the pool; returns them.
pub async fn reserve_with(
    data: &DataArgs,
    api: &ApiConfig,
    count: u32,
    year: Option<u16>,
) -> Result<Vec<CveId>> {
    if count == 0 || count > 1000 {
        bail!("--count must be between 1 and 1000");
    }
    let client = Client::new(&api.url, api.credentials.clone())?;
    // The store first: IDs reserved but not recorded anywhere would be lost to the quota.
    let settings = Settings::load(data, None)?;
    let store = settings.open_store().await?;
    ensure_initialised(&store, &settings).await?;

    let year = match year {
        Some(y) => y,
        None => u16::try_from(jiff::Zoned::now().year()).context("this year")?,
    };
    let reservation = client.reserve(count, year, BatchType::Sequential).await?;
    let ids: Vec<CveId> = reservation.ids.iter().map(|i| i.cve_id.clone()).collect();
    let listed = ids
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" ");
    let added = store.add_to_pool(&ids).await.with_context(|| {
        format!("CVE Services reserved {listed} but they could not be added to the pool; add them with `embargo cve pool add`")
    })?;
    if let Some(why) = &reservation.partial {
        println!(
            "CVE Services reserved only {} of {count} ids: {why}",
            ids.len()
        );
    }
    let stats = store.pool_stats().await?;
    let quota = reservation
        .remaining_quota
        .map_or_else(String::new, |q| format!("; {q} more may be reserved"));
    println!(
        "Reserved {listed} for {} and added {added} to the pool ({} free){quota}.",
        client.org(),
        stats.free
    );
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;
    use embargo_cveservices::fake::{FakeConfig, FakeCveServices};
    use embargo_cveservices::{Error, IdState};

    fn data(dir: &std::path::Path) -> DataArgs {
        DataArgs {
            data_dir: dir.to_path_buf(),
            database_url: None,
            config: None,
        }
    }

    #[tokio::test]
    async fn reserved_ids_land_in_the_pool() {
        let fake = FakeCveServices::new(FakeConfig::single(
            "apache",
            "sec@apache.org",
            "key-0123456789",
            5,
        ))
        .spawn()
        .await
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        // Only `init` or `serve` create an installation (crate::init).
        crate::init::run(&Settings::load(&data(dir.path()), None).unwrap())
            .await
            .unwrap();
        let api = ApiConfig {
            url: fake.url.clone(),
            credentials: Credentials::new(
                "apache",
                "sec@apache.org",
                ApiKey::new("key-0123456789"),
            ),
        };
        let ids = reserve_with(&data(dir.path()), &api, 3, None)
            .await
            .unwrap();
        assert_eq!(ids.len(), 3);
        assert!(
            ids.iter()
                .all(|i| fake.service.id_state(i) == Some(IdState::Reserved))
        );
        let store = Settings::load(&data(dir.path()), None)
            .unwrap()
            .open_store()
            .await
            .unwrap();
        assert_eq!(store.pool_stats().await.unwrap().free, 3);
        assert_eq!(store.next_free_cve().await.unwrap().as_ref(), Some(&ids[0]));

        let wrong = ApiConfig {
            url: fake.url.clone(),
            credentials: Credentials::new(
                "apache",
                "sec@apache.org",
                ApiKey::new("not-the-key-42"),
            ),
        };
        let e = reserve_with(&data(dir.path()), &wrong, 1, None)
            .await
            .unwrap_err();
        let text = format!("{e:#}");
        assert!(
            matches!(e.downcast_ref::<Error>(), Some(Error::Unauthorized { .. })),
            "{text}"
        );
        assert!(!text.contains("not-the-key-42"), "{text}");
        let over = reserve_with(&data(dir.path()), &api, 3, None)
            .await
            .unwrap_err();
        assert!(format!("{over:#}").contains("quota"), "{over:#}");
        assert_eq!(store.pool_stats().await.unwrap().free, 3);
    }
}
