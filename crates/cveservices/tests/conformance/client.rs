//! Our client against the local server: the life of a CNA's IDs, the corpus published
//! through it, and the errors a person sees.

use embargo_cveservices::fake::{FakeConfig, FakeOrg};
use embargo_cveservices::{
    ApiKey, BatchType, Client, Credentials, Error, IdFilter, IdState, Rejection, cna_container_of,
};
use embargo_domain::ids::CveId;

use crate::support::{self, KEY, ORG, USER};

#[tokio::test]
async fn reserve_read_publish_update_reject_and_count_the_quota() {
    if !support::has_corpus("reserve_read_publish_update_reject_and_count_the_quota") {
        return;
    }
    let fake = support::spawn(support::config(10)).await;
    let client = support::client(&fake);
    let year = support::this_year();

    let quota = client.quota().await.unwrap();
    assert_eq!(
        (quota.id_quota, quota.total_reserved, quota.available),
        (10, 0, 10)
    );

    let reservation = client
        .reserve(3, year, BatchType::Sequential)
        .await
        .unwrap();
    assert_eq!(reservation.ids.len(), 3);
    assert_eq!(reservation.remaining_quota, Some(7));
    assert!(reservation.partial.is_none());
    let ids: Vec<CveId> = reservation.ids.iter().map(|i| i.cve_id.clone()).collect();
    assert!(ids.iter().all(|i| i.year() == year));
    assert_eq!(ids[1].number(), ids[0].number() + 1, "sequential: {ids:?}");
    assert_eq!(client.quota().await.unwrap().available, 7);

    let info = client.cve_id(&ids[0]).await.unwrap();
    assert_eq!(info.state, IdState::Reserved);
    assert_eq!(info.owning_cna.as_deref(), Some(ORG));
    assert_eq!(info.requested_by.unwrap().user.as_deref(), Some(USER));
    let reserved = client
        .list_cve_ids(&IdFilter {
            state: Some(IdState::Reserved),
            year: Some(year),
        })
        .await
        .unwrap();
    assert_eq!(reserved.len(), 3);
    assert!(client.record(&ids[0]).await.unwrap().is_none());

    // Publish a real record's CNA container under our first ID.
    let corpus = support::corpus_record("CVE-2023-26464.json");
    let container = cna_container_of(&corpus).unwrap();
    let record = client.publish(&ids[0], container).await.unwrap();
    assert_eq!(record["cveMetadata"]["cveId"], ids[0].to_string());
    assert_eq!(record["cveMetadata"]["state"], "PUBLISHED");
    assert_eq!(record["cveMetadata"]["assignerShortName"], ORG);
    let cna = &record["containers"]["cna"];
    assert_eq!(cna["affected"], container["affected"]);
    assert_eq!(cna["descriptions"], container["descriptions"]);
    // The service sets providerMetadata to the publishing organisation, whatever was sent.
    assert_eq!(
        cna["providerMetadata"]["orgId"],
        fake.service.org_uuid(ORG).unwrap()
    );
    assert_eq!(
        client.cve_id(&ids[0]).await.unwrap().state,
        IdState::Published
    );
    assert_eq!(
        client.quota().await.unwrap().available,
        8,
        "a published ID leaves the quota"
    );
    assert_eq!(client.record(&ids[0]).await.unwrap().unwrap(), record);

    // Creating twice is refused; updating works and keeps datePublished.
    let again = client.publish(&ids[0], container).await.unwrap_err();
    assert!(matches!(again, Error::RecordExists { .. }), "{again:?}");
    assert!(again.to_string().contains("update it instead"), "{again}");
    let mut changed = container.clone();
    changed["title"] = "Apache log4j: an updated title".into();
    let updated = client.update_published(&ids[0], &changed).await.unwrap();
    assert_eq!(
        updated["containers"]["cna"]["title"],
        "Apache log4j: an updated title"
    );
    assert_eq!(
        updated["cveMetadata"]["datePublished"],
        record["cveMetadata"]["datePublished"]
    );
    let missing = client
        .update_published(&ids[1], &changed)
        .await
        .unwrap_err();
    assert!(
        matches!(missing, Error::RecordMissing { .. }),
        "{missing:?}"
    );

    // Reject a reserved ID with a reason, and the published one afterwards.
    let mut rejection =
        Rejection::english("This candidate was withdrawn by its CNA. It is a duplicate.");
    rejection.replaced_by = vec![ids[0].clone()];
    let rejected = client.reject(&ids[1], &rejection).await.unwrap();
    assert_eq!(rejected["cveMetadata"]["state"], "REJECTED");
    assert_eq!(
        rejected["containers"]["cna"]["replacedBy"][0],
        ids[0].to_string()
    );
    assert_eq!(
        client.cve_id(&ids[1]).await.unwrap().state,
        IdState::Rejected
    );
    let withdrawn = client
        .update_rejected(
            &ids[0],
            &Rejection::english("Not a vulnerability after all."),
        )
        .await
        .unwrap();
    assert_eq!(withdrawn["cveMetadata"]["state"], "REJECTED");
    assert!(withdrawn["containers"]["cna"].get("affected").is_none());
    assert_eq!(fake.service.id_state(&ids[0]), Some(IdState::Rejected));

    // An ID without a record goes to REJECTED and back.
    assert_eq!(
        client
            .set_id_state(&ids[2], IdState::Rejected)
            .await
            .unwrap()
            .state,
        IdState::Rejected
    );
    assert_eq!(client.quota().await.unwrap().available, 10);
    assert_eq!(
        client
            .set_id_state(&ids[2], IdState::Reserved)
            .await
            .unwrap()
            .state,
        IdState::Reserved
    );
    let with_record = client
        .set_id_state(&ids[1], IdState::Reserved)
        .await
        .unwrap_err();
    assert!(
        matches!(with_record, Error::Forbidden { ref code, .. } if code == "CANNOT_CHANGE_CVE_ID_WITH_RECORD"),
        "{with_record:?}"
    );

    assert_eq!(
        client
            .list_cve_ids(&IdFilter::default())
            .await
            .unwrap()
            .len(),
        3
    );
    assert_eq!(
        client.org_info().await.unwrap().uuid,
        fake.service.org_uuid(ORG).unwrap()
    );
}

#[tokio::test]
async fn every_corpus_record_publishes_or_rejects() {
    if !support::has_corpus("every_corpus_record_publishes_or_rejects") {
        return;
    }
    let records = support::corpus_records();
    let fake = support::spawn(support::config(records.len() as u64)).await;
    let client = support::client(&fake);
    let ids = client
        .reserve(
            records.len() as u32,
            support::this_year(),
            BatchType::Sequential,
        )
        .await
        .unwrap()
        .ids;
    assert_eq!(ids.len(), records.len());
    for ((name, record), id) in records.iter().zip(&ids) {
        let id = &id.cve_id;
        let container = cna_container_of(record).unwrap();
        let made = if record["cveMetadata"]["state"] == "REJECTED" {
            let rejection = serde_json::from_value(container.clone()).unwrap();
            client.reject(id, &rejection).await
        } else {
            client.publish(id, container).await
        };
        let made = made.unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            made["cveMetadata"]["state"], record["cveMetadata"]["state"],
            "{name}"
        );
        // The CNA's content comes back as sent; only providerMetadata is the service's.
        let mut sent = container.clone();
        let mut got = made["containers"]["cna"].clone();
        sent.as_object_mut().unwrap().remove("providerMetadata");
        got.as_object_mut().unwrap().remove("providerMetadata");
        if record["cveMetadata"]["state"] == "REJECTED" {
            assert_eq!(got["rejectedReasons"], sent["rejectedReasons"], "{name}");
        } else {
            assert_eq!(got, sent, "{name}");
        }
    }
    assert_eq!(client.quota().await.unwrap().total_reserved, 0);
}

#[tokio::test]
async fn an_invalid_container_is_refused_with_what_to_fix() {
    let fake = support::spawn(support::config(5)).await;
    let client = support::client(&fake);
    let id = client
        .reserve(1, support::this_year(), BatchType::Sequential)
        .await
        .unwrap()
        .ids[0]
        .cve_id
        .clone();
    let container = serde_json::json!({
        "descriptions": [{"lang": "en", "value": "A flaw."}],
        "references": [{"url": "https://example.org/advisory"}]
    });
    let e = client.publish(&id, &container).await.unwrap_err();
    let Error::BadRequest { code, details, .. } = &e else {
        panic!("{e:?}")
    };
    assert_eq!(code, "INVALID_JSON_SCHEMA");
    assert!(
        details.iter().any(|d| d.contains("affected")),
        "{details:?}"
    );
    assert!(e.to_string().contains("affected"), "{e}");
    assert_eq!(client.cve_id(&id).await.unwrap().state, IdState::Reserved);
    let e = client
        .reject(
            &id,
            &Rejection {
                rejected_reasons: vec![],
                replaced_by: vec![],
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(e, Error::BadRequest { .. }), "{e:?}");
}

#[tokio::test]
async fn a_wrong_key_is_a_clear_error_that_does_not_show_the_key() {
    let fake = support::spawn(support::config(5)).await;
    let wrong = "wr0ng-key-that-must-not-leak";
    let client = Client::new(&fake.url, Credentials::new(ORG, USER, ApiKey::new(wrong))).unwrap();
    for e in [
        client.quota().await.unwrap_err(),
        client
            .reserve(1, support::this_year(), BatchType::Sequential)
            .await
            .unwrap_err(),
    ] {
        assert!(matches!(e, Error::Unauthorized { .. }), "{e:?}");
        let (text, debug) = (e.to_string(), format!("{e:?}"));
        for shown in [&text, &debug] {
            assert!(!shown.contains(wrong) && !shown.contains(KEY), "{shown}");
        }
        assert!(
            text.contains(USER) && text.contains(ORG) && text.contains("API key"),
            "{text}"
        );
    }
    assert!(!format!("{client:?}").contains(wrong));
    let unknown_user =
        Client::new(&fake.url, Credentials::new(ORG, "nobody", ApiKey::new(KEY))).unwrap();
    assert!(matches!(
        unknown_user.quota().await.unwrap_err(),
        Error::Unauthorized { .. }
    ));
    // Nothing was reserved by the refused attempts.
    assert_eq!(
        support::client(&fake).quota().await.unwrap().total_reserved,
        0
    );
}

#[tokio::test]
async fn quota_and_range_limits() {
    let mut config = support::config(4);
    config.range_size = 5;
    let fake = support::spawn(config).await;
    let client = support::client(&fake);
    let year = support::this_year();
    let e = client
        .reserve(5, year, BatchType::Sequential)
        .await
        .unwrap_err();
    assert!(matches!(e, Error::QuotaExceeded { .. }), "{e:?}");
    assert!(e.to_string().contains("Publish or reject"), "{e}");

    let first = client
        .reserve(3, year, BatchType::NonSequential)
        .await
        .unwrap();
    let mut numbers: Vec<u64> = first.ids.iter().map(|i| i.cve_id.number()).collect();
    numbers.sort_unstable();
    numbers.dedup();
    assert_eq!(numbers.len(), 3);
    // Three of the year's five numbers are gone and the quota leaves one: the range, not the
    // quota, runs out after freeing two IDs.
    for i in &first.ids[..2] {
        client
            .set_id_state(&i.cve_id, IdState::Rejected)
            .await
            .unwrap();
    }
    let partial = client
        .reserve(3, year, BatchType::Sequential)
        .await
        .unwrap();
    assert_eq!(partial.ids.len(), 2, "{partial:?}");
    assert!(
        partial
            .partial
            .as_deref()
            .unwrap()
            .contains("partial amount"),
        "{partial:?}"
    );
    let e = client
        .reserve(1, year, BatchType::Sequential)
        .await
        .unwrap_err();
    assert!(
        matches!(e, Error::Forbidden { ref code, .. } if code == "YEAR_RANGE_FULL"),
        "{e:?}"
    );
    let e = client
        .reserve(1, 1990, BatchType::Sequential)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("1990"), "{e}");
}

#[tokio::test]
async fn another_organisations_ids_are_not_ours() {
    let mut config = support::config(5);
    config.orgs.push(FakeOrg::cna(
        "other",
        "psirt@other.example",
        "other-key-123456",
        5,
    ));
    let fake = support::spawn(config).await;
    let ours = support::client(&fake);
    let theirs = Client::new(
        &fake.url,
        Credentials::new(
            "other",
            "psirt@other.example",
            ApiKey::new("other-key-123456"),
        ),
    )
    .unwrap();
    let id = ours
        .reserve(1, support::this_year(), BatchType::Sequential)
        .await
        .unwrap()
        .ids[0]
        .cve_id
        .clone();
    let seen = theirs.cve_id(&id).await.unwrap();
    assert_eq!(seen.owning_cna.as_deref(), Some("[REDACTED]"));
    assert!(seen.requested_by.is_none());
    let e = theirs
        .reject(&id, &Rejection::english("not yours"))
        .await
        .unwrap_err();
    assert!(
        matches!(e, Error::Forbidden { ref code, .. } if code == "ORG_DOES_NOT_OWN_ID"),
        "{e:?}"
    );
    assert!(
        theirs
            .list_cve_ids(&IdFilter::default())
            .await
            .unwrap()
            .is_empty()
    );
    // Another organisation's quota is not for us to read.
    let status = reqwest::Client::new()
        .get(format!("{}org/{ORG}/id_quota", fake.url))
        .header("CVE-API-ORG", "other")
        .header("CVE-API-USER", "psirt@other.example")
        .header("CVE-API-KEY", "other-key-123456")
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status.as_u16(), 403);
}

#[tokio::test]
async fn listing_follows_the_pages() {
    let mut config: FakeConfig = support::config(20);
    config.page_size = 2;
    let fake = support::spawn(config).await;
    let client = support::client(&fake);
    client
        .reserve(5, support::this_year(), BatchType::Sequential)
        .await
        .unwrap();
    let all = client.list_cve_ids(&IdFilter::default()).await.unwrap();
    assert_eq!(all.len(), 5);
    let mut numbers: Vec<u64> = all.iter().map(|i| i.cve_id.number()).collect();
    numbers.dedup();
    assert_eq!(numbers.len(), 5);
}

#[tokio::test]
async fn an_unreachable_service_says_where() {
    // A port nobody listens on (a race, harmless here; see `unbound_port`).
    let url = format!("http://127.0.0.1:{}/api/", embargo_testkit::unbound_port());
    let client = Client::new(&url, Credentials::new(ORG, USER, ApiKey::new(KEY))).unwrap();
    let e = client.quota().await.unwrap_err();
    assert!(matches!(e, Error::Transport { .. }), "{e:?}");
    assert!(
        e.to_string().contains(&url) && !e.to_string().contains(KEY),
        "{e}"
    );
}
