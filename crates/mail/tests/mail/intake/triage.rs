//! Triage on the mail channel: a mailed report gets its suggestion at intake like one
//! from the form; spam by mail gets no receipt; a list-relayed report is triaged and its
//! list is never answered.

use embargo_domain::triage::{TriageClass, TriageStatus};
use embargo_mail::Outcome;
use embargo_store::Reports;
use embargo_store::test_support::fresh_store;

use super::{ANN, KAFKA, mail, new_id, setup};

async fn to_ann(store: &embargo_store::SqlStore, id: &embargo_domain::ids::ReportId) -> usize {
    store
        .outbox_for_report(id)
        .await
        .unwrap()
        .iter()
        .filter(|m| m.to.iter().any(|a| a.as_str() == ANN))
        .count()
}

#[tokio::test]
async fn mailed_reports_are_triaged_and_spam_gets_no_receipt() {
    for (backend, store, _db) in fresh_store().await {
        let ingestor = setup(&store).await;
        let question = ingestor
            .ingest(
                &mail(
                    ANN,
                    KAFKA,
                    "Question: how to enable SASL/SCRAM authentication?",
                    "",
                    "Hi, I am new with Kafka. How can I configure SASL SCRAM for my brokers? \
                     I followed the documentation but clients can not connect. Any help please?\r\n",
                ),
                None,
            )
            .await
            .unwrap();
        let id = new_id(question);
        let r = store.report(&id).await.unwrap().unwrap();
        let t = r.triage.expect("triaged at intake");
        assert_eq!(
            (t.class, t.status),
            (TriageClass::UsersListQuestion, TriageStatus::Suggested),
            "{backend}: {:?}",
            t.reasons
        );
        assert_eq!(to_ann(&store, &id).await, 1, "{backend}: the receipt");

        let spam = ingestor
            .ingest(
                &mail(
                    ANN,
                    KAFKA,
                    "Cheap replica watches",
                    "",
                    "Buy cheap replica watches online! Casino bonus and free spins, click here \
                     http://casino.example.biz, limited offer, viagra discount.\r\n",
                ),
                None,
            )
            .await
            .unwrap();
        let Outcome::NewReport(id) = spam else {
            panic!("{backend}: spam is kept as a report, got {spam:?}");
        };
        let r = store.report(&id).await.unwrap().unwrap();
        assert_eq!(
            r.triage.map(|t| t.class),
            Some(TriageClass::Spam),
            "{backend}"
        );
        assert_eq!(
            to_ann(&store, &id).await,
            0,
            "{backend}: no receipt for spam"
        );
    }
}
